package pgstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// lockBuckets takes the transaction's advisory lock on each bucket key, in
// sorted order so that two multi-bucket operations cannot deadlock. An
// advisory lock works for a bucket that has no row yet (a full one), which
// a row lock could not.
func (s *Store) lockBuckets(ctx context.Context, tx pgx.Tx, bs []store.Bucket) error {
	keys := make([]string, len(bs))
	for i, b := range bs {
		keys[i] = s.schema + ":bucket:" + b.Key
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
		FROM unnest($1::text[]) WITH ORDINALITY AS x(k, n) ORDER BY n`, keys)
	return err
}

func loadBucket(ctx context.Context, tx pgx.Tx, k store.Bucket, now time.Time) (store.TokenBucket, error) {
	b := store.FullBucket(k, now)
	var at int64
	err := tx.QueryRow(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE key = $1`, k.Key).Scan(&b.Tokens, &at)
	switch {
	case err == nil:
		b.At = fromMicro(at)
	case !errors.Is(err, pgx.ErrNoRows):
		return store.TokenBucket{}, err
	}
	return b, nil
}

func saveBucket(ctx context.Context, tx pgx.Tx, k store.Bucket, b store.TokenBucket) error {
	_, err := tx.Exec(ctx, `INSERT INTO rate_limits (key, tokens, updated_at, full_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET
		tokens = excluded.tokens, updated_at = excluded.updated_at, full_at = excluded.full_at`,
		k.Key, b.Tokens, micro(b.At), micro(b.FullAt(k)))
	return err
}

// Take implements store.Limits in one transaction holding every bucket's
// lock: each bucket is read, and only if each has a token are they all
// written. A denied Take writes nothing.
func (s *Store) Take(ctx context.Context, bs []store.Bucket, now time.Time) (bool, time.Duration, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(bs) == 0 {
		return true, 0, nil
	}
	var (
		ok   bool
		wait time.Duration
	)
	err := s.write(ctx, "take", func(tx pgx.Tx) error {
		ok, wait = true, 0
		if err := s.lockBuckets(ctx, tx, bs); err != nil {
			return err
		}
		next := make([]store.TokenBucket, len(bs))
		for i, k := range bs {
			b, err := loadBucket(ctx, tx, k, now)
			if err != nil {
				return err
			}
			var took bool
			var w time.Duration
			next[i], took, w = b.Take(k, now)
			if !took {
				ok, wait = false, max(wait, w)
			}
		}
		if !ok {
			return nil
		}
		for i, k := range bs {
			if err := saveBucket(ctx, tx, k, next[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return ok, wait, nil
}

// Refund implements store.Limits in one transaction. A missing bucket is
// full, so there is nothing to give back.
func (s *Store) Refund(ctx context.Context, bs []store.Bucket, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(bs) == 0 {
		return nil
	}
	return s.write(ctx, "refund", func(tx pgx.Tx) error {
		if err := s.lockBuckets(ctx, tx, bs); err != nil {
			return err
		}
		for _, k := range bs {
			b, err := loadBucket(ctx, tx, k, now)
			if err != nil {
				return err
			}
			b, full := b.Refund(k, now)
			if full {
				_, err = tx.Exec(ctx, `DELETE FROM rate_limits WHERE key = $1`, k.Key)
			} else {
				err = saveBucket(ctx, tx, k, b)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
