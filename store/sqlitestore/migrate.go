package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// backfills are Go steps of migrations, by version, run after the
// migration's SQL in the same transaction, for what SQL cannot compute.
var backfills = map[int]func(ctx context.Context, tx *sql.Tx) error{
	4: backfillUsernames,
}

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations ordered by the number that
// prefixes each file name (0001_init.sql is version 1).
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version prefix", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies every migration newer than schema_version, each in its own
// writer transaction together with its Go backfill (if any) and the version
// bump. Concurrent openers are serialised by BEGIN IMMEDIATE and re-read the
// version inside it.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return wrap("migrate", err)
	}
	err = s.write(ctx, "migrate", func(tx *wtx) error {
		_, err := tx.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`)
		return err
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := s.write(ctx, "migrate "+m.name, func(tx *wtx) error {
			var cur int
			err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur)
			if err != nil || cur >= m.version {
				return err
			}
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if fill := backfills[m.version]; fill != nil {
				if err := fill(ctx, tx.tx); err != nil {
					return err
				}
			}
			_, err = tx.tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
