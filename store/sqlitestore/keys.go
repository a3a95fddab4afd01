package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// AddKey implements store.Keys.
func (s *Store) AddKey(ctx context.Context, k store.Key) error {
	return s.write(ctx, "add key", func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO keys (id, alg, private, created_at, sign_from, retired_at, keep_until)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Alg, nonNil(k.Private), micro(k.CreatedAt),
			micro(k.SignFrom), micro(k.RetiredAt), micro(k.KeepUntil))
		return err
	})
}

// ListKeys implements store.Keys, ordered by creation.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT id, alg, private, created_at, sign_from, retired_at, keep_until
		FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	ks, err := collect(rows, func(sc scanner) (store.Key, error) {
		var (
			k                          store.Key
			created, from, retir, keep int64
		)
		err := sc.Scan(&k.ID, &k.Alg, &k.Private, &created, &from, &retir, &keep)
		k.CreatedAt, k.SignFrom, k.RetiredAt = fromMicro(created), fromMicro(from), fromMicro(retir)
		k.KeepUntil = fromMicro(keep)
		return k, err
	})
	return ks, wrap("list keys", err)
}

// RetireKey implements store.Keys: the first retirement time stays, and
// keep_until only grows.
func (s *Store) RetireKey(ctx context.Context, id string, t, keepUntil time.Time) error {
	return s.write(ctx, "retire key", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE keys
			SET retired_at = CASE WHEN retired_at = 0 THEN ? ELSE retired_at END,
			    keep_until = MAX(keep_until, ?)
			WHERE id = ?`, micro(t), micro(keepUntil), id)
		return mustAffect(res, err)
	})
}

// ReplaceKeyPrivate implements store.Keys. The old bytes are overwritten in
// the file (see scrubbed), not left in free space.
func (s *Store) ReplaceKeyPrivate(ctx context.Context, id string, old, new []byte) error {
	return s.write(ctx, "replace key", func(tx *wtx) error {
		return scrubbed(ctx, tx, func() error {
			res, err := tx.ExecContext(ctx, `UPDATE keys SET private = ? WHERE id = ? AND private = ?`,
				nonNil(new), id, nonNil(old))
			return mustAffect(res, err)
		})
	})
}

// ReplaceSecret implements store.Keys, like ReplaceKeyPrivate.
func (s *Store) ReplaceSecret(ctx context.Context, name string, old, new []byte) error {
	return s.write(ctx, "replace secret", func(tx *wtx) error {
		return scrubbed(ctx, tx, func() error {
			res, err := tx.ExecContext(ctx, `UPDATE secrets SET value = ? WHERE name = ? AND value = ?`,
				nonNil(new), name, nonNil(old))
			return mustAffect(res, err)
		})
	})
}

// scrubbed runs fn with SQLite's secure_delete on: content it deletes is
// zeroed in the page rather than left in free space, where a copy of the
// file would still show it. Replacing a value stored in clear by its sealed
// form is the point of the replace operations, so it must not linger. The
// connection's previous setting is restored after (the hot paths do not
// pay for it).
func scrubbed(ctx context.Context, tx *wtx, fn func() error) error {
	var was int
	if err := tx.tx.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&was); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `PRAGMA secure_delete = 1`); err != nil {
		return err
	}
	err := fn()
	_, rerr := tx.tx.ExecContext(ctx, `PRAGMA secure_delete = `+strconv.Itoa(was))
	return errors.Join(err, rerr)
}

// DeleteKey implements store.Keys.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	return s.write(ctx, "delete key", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE id = ?`, id)
		return mustAffect(res, err)
	})
}

// Secret implements store.Keys. gen may run on several callers at once on
// first use; INSERT OR IGNORE keeps the first value written and every caller
// returns that one.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.rd.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("secret", err)
	}
	fresh, err := gen()
	if err != nil {
		return nil, wrap("secret", err)
	}
	err = s.write(ctx, "secret", func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)`,
			name, nonNil(fresh))
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	return v, err
}

// nonNil keeps NOT NULL blob columns satisfied by empty values.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
