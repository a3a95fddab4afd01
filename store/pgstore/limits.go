package pgstore

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// bucket is a token bucket's state at a time (the same arithmetic as
// sqlitestore's).
type bucket struct {
	tokens float64
	at     time.Time
}

// take refills b at rate per second up to burst by now, then takes one
// token if there is one. It returns the new state, whether a token was
// taken and, if not, the wait until one is available.
func (b bucket) take(rate float64, burst int, now time.Time) (bucket, bool, time.Duration) {
	b = b.refill(rate, burst, now)
	if b.tokens >= 1 {
		b.tokens--
		return b, true, 0
	}
	if rate <= 0 {
		return b, false, time.Duration(math.MaxInt64)
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / rate * float64(time.Second)))
	return b, false, wait
}

// refill adds what rate has refilled since b.at, up to burst (time never
// runs backwards for a bucket).
func (b bucket) refill(rate float64, burst int, now time.Time) bucket {
	if now.After(b.at) {
		b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.at).Seconds()*rate)
		b.at = now
	}
	return b
}

// fullAt is when b is full again.
func (b bucket) fullAt(rate float64, burst int) time.Time {
	if rate <= 0 {
		return time.Unix(math.MaxInt32, 0) // far future
	}
	return b.at.Add(time.Duration(math.Ceil((float64(burst) - b.tokens) / rate * float64(time.Second))))
}

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

func loadBucket(ctx context.Context, tx pgx.Tx, key string, burst int, now time.Time) (bucket, error) {
	b := bucket{tokens: float64(burst), at: now}
	var at int64
	err := tx.QueryRow(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE key = $1`, key).Scan(&b.tokens, &at)
	switch {
	case err == nil:
		b.at = fromMicro(at)
	case !errors.Is(err, pgx.ErrNoRows):
		return bucket{}, err
	}
	return b, nil
}

func saveBucket(ctx context.Context, tx pgx.Tx, key string, b bucket, rate float64, burst int) error {
	_, err := tx.Exec(ctx, `INSERT INTO rate_limits (key, tokens, updated_at, full_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET
		tokens = excluded.tokens, updated_at = excluded.updated_at, full_at = excluded.full_at`,
		key, b.tokens, micro(b.at), micro(b.fullAt(rate, burst)))
	return err
}

// Take implements store.Limits in one transaction holding every bucket's
// lock: each bucket is read, and only if each has a token are they all
// written. A denied Take writes nothing.
func (s *Store) Take(ctx context.Context, bs []store.Bucket, now time.Time) (bool, time.Duration, error) {
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
		next := make([]bucket, len(bs))
		for i, k := range bs {
			b, err := loadBucket(ctx, tx, k.Key, k.Burst, now)
			if err != nil {
				return err
			}
			var took bool
			var w time.Duration
			next[i], took, w = b.take(k.Rate, k.Burst, now)
			if !took {
				ok, wait = false, max(wait, w)
			}
		}
		if !ok {
			return nil
		}
		for i, k := range bs {
			if err := saveBucket(ctx, tx, k.Key, next[i], k.Rate, k.Burst); err != nil {
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
	if len(bs) == 0 {
		return nil
	}
	return s.write(ctx, "refund", func(tx pgx.Tx) error {
		if err := s.lockBuckets(ctx, tx, bs); err != nil {
			return err
		}
		for _, k := range bs {
			b, err := loadBucket(ctx, tx, k.Key, k.Burst, now)
			if err != nil {
				return err
			}
			b = b.refill(k.Rate, k.Burst, now)
			b.tokens = math.Min(float64(k.Burst), b.tokens+1)
			if b.tokens >= float64(k.Burst) {
				_, err = tx.Exec(ctx, `DELETE FROM rate_limits WHERE key = $1`, k.Key)
			} else {
				err = saveBucket(ctx, tx, k.Key, b, k.Rate, k.Burst)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
