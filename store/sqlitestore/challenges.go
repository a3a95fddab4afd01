package sqlitestore

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
	if len(c.Hash) == 0 {
		return wrap("add challenge", errEmptyChallenge)
	}
	return s.write(ctx, "add challenge", func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO challenges (`+challengeCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.Hash, c.UserID, c.DeviceID, c.IP, c.UserAgent, micro(c.ExpiresAt), c.CredVersion)
		return err
	})
}

// ConsumeChallenge implements store.Challenges. The row is deleted by one
// DELETE ... RETURNING in a writer transaction, so of concurrent callers only
// the first finds it. An expired challenge is deleted too (the delete is
// committed) and reported as store.ErrNotFound. An empty hash matches
// nothing.
func (s *Store) ConsumeChallenge(ctx context.Context, userID string, hash []byte, now time.Time) (store.Challenge, error) {
	if len(hash) == 0 {
		return store.Challenge{}, wrap("consume challenge", store.ErrNotFound)
	}
	var c store.Challenge
	err := s.write(ctx, "consume challenge", func(tx *wtx) error {
		var err error
		c, err = scanChallenge(tx.QueryRowContext(ctx, `DELETE FROM challenges WHERE hash = ? AND user_id = ?
			RETURNING `+challengeCols, hash, userID))
		return err
	})
	if err != nil {
		return store.Challenge{}, err
	}
	if !c.ExpiresAt.After(now) {
		return store.Challenge{}, fmt.Errorf("sqlitestore: consume challenge: expired: %w", store.ErrNotFound)
	}
	return c, nil
}
