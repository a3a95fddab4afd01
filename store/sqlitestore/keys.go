package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// AddKey implements store.Keys.
func (s *Store) AddKey(ctx context.Context, k store.Key) error {
	return s.write(ctx, "add key", func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO keys (id, alg, private, created_at, sign_from, retired_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, k.Alg, nonNil(k.Private), micro(k.CreatedAt),
			micro(k.SignFrom), micro(k.RetiredAt))
		return err
	})
}

// ListKeys implements store.Keys, ordered by creation.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT id, alg, private, created_at, sign_from, retired_at
		FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	ks, err := collect(rows, func(sc scanner) (store.Key, error) {
		var (
			k                    store.Key
			created, from, retir int64
		)
		err := sc.Scan(&k.ID, &k.Alg, &k.Private, &created, &from, &retir)
		k.CreatedAt, k.SignFrom, k.RetiredAt = fromMicro(created), fromMicro(from), fromMicro(retir)
		return k, err
	})
	return ks, wrap("list keys", err)
}

// RetireKey implements store.Keys.
func (s *Store) RetireKey(ctx context.Context, id string, t time.Time) error {
	return s.write(ctx, "retire key", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE keys SET retired_at = ? WHERE id = ?`, micro(t), id)
		return mustAffect(res, err)
	})
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
