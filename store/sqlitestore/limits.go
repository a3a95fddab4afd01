package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Refund implements store.Limits, in one writer transaction. A missing
// bucket is full, so there is nothing to give back.
func (s *Store) Refund(ctx context.Context, bs []store.Bucket, now time.Time) error {
	if len(bs) == 0 {
		return nil
	}
	return s.write(ctx, "refund", func(tx *wtx) error {
		for _, k := range bs {
			b, err := loadBucket(ctx, tx, k, now)
			if err != nil {
				return err
			}
			b, full := b.Refund(k, now)
			if full {
				_, err = tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE key = ?`, k.Key)
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

func loadBucket(ctx context.Context, tx *wtx, k store.Bucket, now time.Time) (store.TokenBucket, error) {
	b := store.FullBucket(k, now)
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE key = ?`, k.Key).
		Scan(&b.Tokens, &at)
	switch {
	case err == nil:
		b.At = fromMicro(at)
	case !errors.Is(err, sql.ErrNoRows):
		return store.TokenBucket{}, err
	}
	return b, nil
}

func saveBucket(ctx context.Context, tx *wtx, k store.Bucket, b store.TokenBucket) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rate_limits (key, tokens, updated_at, full_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET
		tokens = excluded.tokens, updated_at = excluded.updated_at, full_at = excluded.full_at`,
		k.Key, b.Tokens, micro(b.At), micro(b.FullAt(k)))
	return err
}

// Take implements store.Limits in one writer transaction: every bucket is
// read, and only if each has a token are they all written. A denied Take
// writes nothing.
func (s *Store) Take(ctx context.Context, bs []store.Bucket, now time.Time) (bool, time.Duration, error) {
	if len(bs) == 0 {
		return true, 0, nil
	}
	var (
		ok   bool
		wait time.Duration
	)
	err := s.write(ctx, "take", func(tx *wtx) error {
		ok, wait = true, 0
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
