package sqlitestore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/store"
)

// rotateAction is what RotateRefresh does with a presented token.
type rotateAction int

const (
	actSessionExpired rotateAction = iota + 1
	actRefreshExpired
	actRotate
	// actReplayIfSuccessor: the previous token within the grace window. It
	// is a replay if the current generation is the one this token rotated
	// to (its hash is SuccessorHash); otherwise a reauth advanced the chain
	// and the token is simply no longer known.
	actReplayIfSuccessor
	actReuseAfterGrace
	actReuseStale
)

// decideRotation applies the rotation rules to session s and the generation
// gen of the presented token. A zero RefreshExpiresAt means the refresh
// token has no expiry of its own (as in Session.EffectiveExpiry).
func decideRotation(s store.Session, gen int64, in store.Rotate) rotateAction {
	switch {
	case s.ExpiredAt(in.Now, in.IdleTimeout):
		return actSessionExpired
	case gen == s.RefreshGen && !s.RefreshExpiresAt.IsZero() && !in.Now.Before(s.RefreshExpiresAt):
		return actRefreshExpired
	case gen == s.RefreshGen:
		return actRotate
	case gen == s.RefreshGen-1 && in.Grace > 0 && in.Now.Sub(s.RotatedAt) <= in.Grace:
		return actReplayIfSuccessor
	case gen == s.RefreshGen-1:
		return actReuseAfterGrace
	default:
		return actReuseStale
	}
}

// RotateRefresh implements store.Sessions.
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
	var (
		sid string
		gen int64
	)
	err := tx.QueryRowContext(ctx, `SELECT session_id, gen FROM refresh_tokens WHERE hash = ?`,
		in.PresentedHash).Scan(&sid, &gen)
	if err != nil {
		return store.RotateResult{}, err
	}
	cur, err := loadSession(ctx, tx, sid)
	if err != nil {
		return store.RotateResult{}, err
	}
	switch act := decideRotation(cur, gen, in); act {
	case actSessionExpired:
		return store.RotateResult{}, store.ErrSessionExpired
	case actRefreshExpired:
		return store.RotateResult{}, store.ErrRefreshExpired
	case actRotate:
		next, err := advanceChain(ctx, tx, cur, in.SuccessorHash, in.Now, in.RefreshTTL)
		return store.RotateResult{Outcome: store.Rotated, Session: next}, err
	case actReplayIfSuccessor:
		var h []byte
		err := tx.QueryRowContext(ctx, `SELECT hash FROM refresh_tokens WHERE session_id = ? AND gen = ?`,
			cur.ID, cur.RefreshGen).Scan(&h)
		if err != nil {
			return store.RotateResult{}, err
		}
		if !bytes.Equal(h, in.SuccessorHash) {
			return store.RotateResult{}, store.ErrNotFound
		}
		return store.RotateResult{Outcome: store.Replayed, Session: cur}, nil
	default:
		cause := "stale"
		if act == actReuseAfterGrace {
			cause = "after-grace"
		}
		en, err := endSession(ctx, tx, cur.ID, "reuse", in.Now, in.RevokeUntil)
		return store.RotateResult{Session: en.Session, Ended: &en, ReuseCause: cause}, err
	}
}
