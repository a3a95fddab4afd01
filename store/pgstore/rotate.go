package pgstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// RotateRefresh implements store.Sessions: the session row is read FOR
// UPDATE (concurrent presentations of one token queue on it, and each reads
// what the previous one committed), store.DecideRotation decides, and one
// write applies it.
func (s *Store) RotateRefresh(ctx context.Context, in store.Rotate) (store.RotateResult, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var res store.RotateResult
	err := s.write(ctx, "rotate refresh", func(tx pgx.Tx) error {
		var err error
		res, err = rotate(ctx, tx, in)
		return err
	})
	if err != nil {
		return store.RotateResult{}, err
	}
	if res.Ended != nil {
		return res, fmt.Errorf("pgstore: rotate refresh: %s: %w", res.ReuseCause, store.ErrReused)
	}
	return res, nil
}

// rotate does RotateRefresh's work inside tx. Reuse is reported by a result
// with Ended set and a nil error, so that the revocation is committed.
func rotate(ctx context.Context, tx pgx.Tx, in store.Rotate) (store.RotateResult, error) {
	cur, err := loadSession(ctx, tx, in.UserID, in.SessionID, true)
	if err != nil {
		return store.RotateResult{}, err
	}
	res := store.RotateResult{PrevRotatedAt: cur.RotatedAt}
	switch step := store.StepRotation(cur, in); {
	case step.Err != nil:
		return store.RotateResult{}, step.Err
	case step.Advance:
		res.Outcome = store.Rotated
		res.Session, err = advanceChain(ctx, tx, cur, in.SuccessorHash, in.Now, in.RefreshTTL)
		return res, err
	case step.Replay:
		res.Outcome, res.Session = store.Replayed, cur
		return res, nil
	default:
		res.ReuseCause = step.ReuseCause
	}
	en, err := endOne(ctx, tx, cur.ID, "reuse", in.Now, in.RevokeUntil)
	res.Session, res.Ended = en.Session, &en
	return res, err
}
