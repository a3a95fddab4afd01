package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// AddKey implements store.Keys.
func (s *Store) AddKey(ctx context.Context, k store.Key) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO keys (id, alg, private, created_at, sign_from, retired_at, keep_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, k.Alg, nonNil(k.Private), micro(k.CreatedAt),
		micro(k.SignFrom), micro(k.RetiredAt), micro(k.KeepUntil))
	return wrap("add key", err)
}

// ListKeys implements store.Keys, ordered by creation.
func (s *Store) ListKeys(ctx context.Context) ([]store.Key, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, alg, private, created_at, sign_from, retired_at, keep_until
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
// keep_until only grows (one UPDATE, atomic on the row).
func (s *Store) RetireKey(ctx context.Context, id string, t, keepUntil time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE keys
		SET retired_at = CASE WHEN retired_at = 0 THEN $1 ELSE retired_at END,
		    keep_until = GREATEST(keep_until, $2)
		WHERE id = $3`, micro(t), micro(keepUntil), id)
	return wrap("retire key", mustAffect(tag, err))
}

// ReplaceKeyPrivate implements store.Keys as one compare-and-swap UPDATE.
// (PostgreSQL leaves the old tuple until vacuum, as with any update; the
// value replaced is normally sealed already, see keys/seal.)
func (s *Store) ReplaceKeyPrivate(ctx context.Context, id string, old, new []byte) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE keys SET private = $1 WHERE id = $2 AND private = $3`,
		nonNil(new), id, nonNil(old))
	return wrap("replace key", mustAffect(tag, err))
}

// ReplaceSecret implements store.Keys, like ReplaceKeyPrivate.
func (s *Store) ReplaceSecret(ctx context.Context, name string, old, new []byte) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE secrets SET value = $1 WHERE name = $2 AND value = $3`,
		nonNil(new), name, nonNil(old))
	return wrap("replace secret", mustAffect(tag, err))
}

// DeleteKey implements store.Keys.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM keys WHERE id = $1`, id)
	return wrap("delete key", mustAffect(tag, err))
}

// Secret implements store.Keys. gen may run on several callers (nodes) at
// once on first use; INSERT ... ON CONFLICT DO NOTHING keeps the first value
// committed (a concurrent inserter waits for the other's commit), and the
// SELECT after it, a new snapshot under READ COMMITTED, returns that value
// to every caller.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap("secret", err)
	}
	fresh, err := gen()
	if err != nil {
		return nil, wrap("secret", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, nonNil(fresh)); err != nil {
		return nil, wrap("secret", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	return v, wrap("secret", err)
}
