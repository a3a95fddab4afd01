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
	cur, err := loadSession(ctx, tx, in.SessionID, true)
	if err != nil {
		return store.RotateResult{}, err
	}
	res := store.RotateResult{PrevRotatedAt: cur.RotatedAt}
	switch store.DecideRotation(cur, in) {
	case store.ActSessionExpired:
		return store.RotateResult{}, store.ErrSessionExpired
	case store.ActRefreshExpired:
		return store.RotateResult{}, store.ErrRefreshExpired
	case store.ActUnknown:
		return store.RotateResult{}, store.ErrNotFound
	case store.ActRotate:
		res.Outcome = store.Rotated
		res.Session, err = advanceChain(ctx, tx, cur, in.SuccessorHash, in.Now, in.RefreshTTL)
		return res, err
	case store.ActReplay:
		res.Outcome, res.Session = store.Replayed, cur
		return res, nil
	case store.ActReuseAfterGrace:
		res.ReuseCause = "after-grace"
	default:
		res.ReuseCause = "stale"
	}
	en, err := endOne(ctx, tx, cur.ID, "reuse", in.Now, in.RevokeUntil)
	res.Session, res.Ended = en.Session, &en
	return res, err
}
