package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse/store"
)

// backfillUsernames brings rows from before migration 0004 to the PRECIS
// rules: each username becomes its mapped form (the one spelling signup now
// stores), username_key its store.NormalizeUsername key and
// username_skeleton its store.UsernameSkeleton. A name PRECIS refuses keeps
// its spelling and gets the legacy key, so it still logs in as before.
//
// Old rows may collide under the new rules ("admin" and "ａｄｍｉｎ" were two
// accounts). The migration must not fail, so the older account (by
// created_at, then id) keeps the name; the newer one is renamed
// "<name> #<id>", which is its login name from then on (and what
// `gatehouse user list` shows). Two accounts that only look alike keep their
// names and keys, but the newer one's skeleton is suffixed " #<id>": the
// older one holds the skeleton that later signups are checked against.
func backfillUsernames(ctx context.Context, tx *sql.Tx) error {
	type row struct{ id, username string }
	rows, err := tx.QueryContext(ctx, `SELECT id, username FROM users ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	us, err := collect(rows, func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(&r.id, &r.username)
	})
	if err != nil {
		return err
	}
	// Park every key on a value no name maps to (a control character), so a
	// row's new key never meets a not-yet-updated row's old one.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET username_key = char(1) || id`); err != nil {
		return err
	}
	keys, skeletons := map[string]bool{}, map[string]bool{}
	for _, u := range us {
		name := u.username
		if m, err := store.MapUsername(name); err == nil {
			name = m
		}
		if keys[store.NormalizeUsername(name)] {
			name = u.username + " #" + u.id
		}
		key := store.NormalizeUsername(name)
		for keys[key] { // only if a name is literally "<other name> #<this id>"
			name += "#"
			key = store.NormalizeUsername(name)
		}
		skel := store.UsernameSkeleton(name)
		for suffix := " #" + u.id; skeletons[skel]; suffix = "#" {
			skel += suffix
		}
		keys[key], skeletons[skel] = true, true
		_, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, username_key = ?, username_skeleton = ?
			WHERE id = ?`, name, key, skel, u.id)
		if err != nil {
			return err
		}
	}
	return nil
}
