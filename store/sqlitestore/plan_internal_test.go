package sqlitestore

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans pins the indexes the hot and per-user queries rely on.
func TestQueryPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for q, want := range map[string]string{
		`SELECT ` + sessionCols + ` FROM sessions WHERE cookie_hash = ?`:                               "INDEX sessions_cookie",
		`SELECT ` + sessionCols + ` FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC`: "INDEX sessions_user",
		`DELETE FROM sessions WHERE user_id = ? AND id <> ?`:                                           "INDEX sessions_user",
		`DELETE FROM revocations WHERE until <= ?`:                                                     "INDEX revocations_until",
		`DELETE FROM challenges WHERE hash = ? RETURNING ` + challengeCols:                             "PRIMARY KEY",
		`DELETE FROM challenges WHERE expires_at <= ?`:                                                 "INDEX challenges_expires",
		userEventsQuery:       "INDEX events_user",
		userEventsBeforeQuery: "INDEX events_user",
		`DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE created_at < ? LIMIT ?)`: "INDEX events_created",
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, "a", "b", "c")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, want) || strings.Contains(p, "TEMP B-TREE") || strings.Contains(p, "SCAN") {
			t.Errorf("%s\nplan: %s\nwant %s, no scan or temp b-tree", q, p, want)
		}
	}
}
