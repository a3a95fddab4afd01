package sqlitestore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/store"
)

// RotateRefresh implements store.Sessions: one read and one write of the
// session row, decided by store.DecideRotation.
func (s *Store) RotateRefresh(ctx context.Context, in store.Rotate) (store.RotateResult, error) {
	var res store.RotateResult
	err := s.write(ctx, "rotate refresh", func(tx *wtx) error {
		var err error
		res, err = rotate(ctx, tx, in)
		return err
	})
	if err != nil {
		return store.RotateResult{}, err
	}
	if res.Ended != nil {
		return res, fmt.Errorf("sqlitestore: rotate refresh: %s: %w", res.ReuseCause, store.ErrReused)
	}
	return res, nil
}

// rotate does RotateRefresh's work inside tx. Reuse is reported by a result
// with Ended set and a nil error, so that the revocation is committed.
func rotate(ctx context.Context, tx *wtx, in store.Rotate) (store.RotateResult, error) {
	cur, err := loadSession(ctx, tx, in.UserID, in.SessionID)
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
	en, err := endSession(ctx, tx, cur.ID, "reuse", in.Now, in.RevokeUntil)
	res.Session, res.Ended = en.Session, &en
	return res, err
}
