package sqlitestore_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// migrationCount is how many migrations are embedded: schema_version gets
// one row each (version numbers may have gaps while branches are merged).
func migrationCount(t *testing.T) int {
	t.Helper()
	ms, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	return len(ms)
}

// Migration 0006: keys retired before keep_until existed are kept a day
// after their retirement; keys not retired get no keep-until.
func TestMigrationGivesRetiredKeysADay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_version (version INTEGER NOT NULL)`}
	for _, f := range []string{"0001_init.sql", "0002_challenges_events.sql", "0003_refresh_without_cascade.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(b))
	}
	retired := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	stmts = append(stmts,
		`INSERT INTO schema_version (version) VALUES (1), (2), (3)`,
		`INSERT INTO keys (id, alg, private, created_at, sign_from, retired_at) VALUES
			('old', 'EdDSA', x'00', 1, 1, `+itoa(retired.UnixMicro())+`),
			('live', 'EdDSA', x'00', 2, 2, 0)`)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	ks, err := s.ListKeys(t.Context())
	if err != nil || len(ks) != 2 {
		t.Fatalf("ListKeys: %v, %v", ks, err)
	}
	for _, k := range ks {
		switch k.ID {
		case "old":
			if !k.KeepUntil.Equal(retired.Add(24 * time.Hour)) {
				t.Errorf("retired key keep-until %v, want %v", k.KeepUntil, retired.Add(24*time.Hour))
			}
		case "live":
			if !k.KeepUntil.IsZero() {
				t.Errorf("live key keep-until %v", k.KeepUntil)
			}
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
