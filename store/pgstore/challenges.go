package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var errEmptyChallenge = errors.New("empty challenge hash")

// AddChallenge implements store.Challenges. The hash must not be empty.
func (s *Store) AddChallenge(ctx context.Context, c store.Challenge) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(c.Hash) == 0 {
		return wrap("add challenge", errEmptyChallenge)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO challenges (`+challengeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.Hash, c.UserID, c.DeviceID, c.IP, c.UserAgent,
		micro(c.ExpiresAt), c.CredVersion)
	return wrap("add challenge", err)
}

// ConsumeChallenge implements store.Challenges with one DELETE ... RETURNING:
// of concurrent callers, those after the first wait on its row lock and
// then find the row gone. An expired challenge is deleted too and reported
// as store.ErrNotFound. An empty hash matches nothing.
func (s *Store) ConsumeChallenge(ctx context.Context, userID string, hash []byte, now time.Time) (store.Challenge, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(hash) == 0 {
		return store.Challenge{}, wrap("consume challenge", store.ErrNotFound)
	}
	c, err := scanChallenge(s.pool.QueryRow(ctx, `DELETE FROM challenges WHERE hash = $1 AND user_id = $2
		RETURNING `+challengeCols, hash, userID))
	if err != nil {
		return store.Challenge{}, wrap("consume challenge", err)
	}
	if !c.ExpiresAt.After(now) {
		return store.Challenge{}, fmt.Errorf("pgstore: consume challenge: expired: %w", store.ErrNotFound)
	}
	return c, nil
}
