package store

import (
	"crypto/subtle"
	"fmt"
	"sort"
)

// The rules every backend obeys, written once as pure functions so SQLite,
// PostgreSQL and a Redis script cannot drift apart. A backend loads what a
// rule needs, calls it inside its atomic operation, and applies the answer.

// Ending is a session an operation is about to end, and why.
type Ending struct {
	Session Session
	Reason  string
}

// PlanCreate decides what CreateSession does to the user's existing sessions
// (existing holds only in.Session.UserID's sessions): dead ones (not Live at
// in.Now) are deleted without a revocation and do not count; live ones
// listed in in.End are ended ("resolved"); the live one on the same device
// is ended when in.ReplaceDevice (an empty DeviceID names no device); then,
// if the user would exceed in.MaxSessions, in.Overflow picks the sessions to
// end or rejects the login with ErrSessionLimit.
func PlanCreate(existing []Session, in CreateSession) (dead []Session, end []Ending, err error) {
	var live []Session
	device := in.Session.DeviceID
	resolve := make(map[string]bool, len(in.End))
	for _, id := range in.End {
		resolve[id] = true
	}
	for _, e := range existing {
		switch {
		case !e.Live(in.Now, in.IdleTimeout):
			dead = append(dead, e)
		case resolve[e.ID]:
			end = append(end, Ending{e, "resolved"})
		case in.ReplaceDevice && device != "" && e.DeviceID == device:
			end = append(end, Ending{e, "device"})
		default:
			live = append(live, e)
		}
	}
	if in.MaxSessions <= 0 || len(live) < in.MaxSessions {
		return dead, end, nil
	}
	excess := len(live) - in.MaxSessions + 1
	switch in.Overflow {
	case Reject:
		return nil, nil, ErrSessionLimit
	case EvictOldest:
		sort.Slice(live, func(i, j int) bool { return before(live[i], live[j], false) })
	case EvictIdle:
		sort.Slice(live, func(i, j int) bool { return before(live[i], live[j], true) })
	default:
		return nil, nil, fmt.Errorf("unknown overflow policy %q", in.Overflow)
	}
	for _, e := range live[:excess] {
		end = append(end, Ending{e, string(in.Overflow)})
	}
	return dead, end, nil
}

// before orders sessions by LastSeenAt (if idle) then CreatedAt then ID.
func before(a, b Session, idle bool) bool {
	if idle && !a.LastSeenAt.Equal(b.LastSeenAt) {
		return a.LastSeenAt.Before(b.LastSeenAt)
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// RotateAction is what RotateRefresh does with a presented token.
type RotateAction int

const (
	// ActUnknown: not a token of this session's chain as it stands (a
	// generation from the future, a current generation whose hash does not
	// match, or the previous one after a reauth replaced its successor):
	// ErrNotFound, nothing changes.
	ActUnknown RotateAction = iota + 1
	// ActSessionExpired: the session is past its idle or absolute deadline.
	ActSessionExpired
	// ActRefreshExpired: the current token's own sliding lifetime passed.
	ActRefreshExpired
	// ActRotate: the current token; advance the chain to the successor.
	ActRotate
	// ActReplay: the previous token within the grace window, and the
	// current token is its successor: answer the same successor again.
	ActReplay
	// ActReuseAfterGrace: the previous token after the grace window.
	ActReuseAfterGrace
	// ActReuseStale: an older token of the chain.
	ActReuseStale
	// ActKeyMismatch: the session is bound to a DPoP key and the refresh
	// came without a proof by it: refused, nothing changes, not reuse.
	ActKeyMismatch
	// ActUnbound: the caller requires bound sessions and this one is not.
	ActUnbound
)

// DecideRotation applies the rotation rules to session s and a presented
// token that claims (under the server's MAC) in.Gen of in.SessionID. Only
// the current generation is checked against a stored hash; older
// generations are recognised by the MAC alone, which is why a session needs
// no row per rotation. A zero RefreshExpiresAt means the refresh token has
// no expiry of its own.
//
// The DPoP key is checked first: whoever lacks the session's key learns
// nothing about the chain and cannot make it count a reuse (RFC 9449 §5:
// the refresh token of a bound session is useless without the key).
func DecideRotation(s Session, in Rotate) RotateAction {
	switch {
	case s.JKT != "" && in.JKT != s.JKT:
		return ActKeyMismatch
	case s.JKT == "" && in.RequireBound:
		return ActUnbound
	case s.ExpiredAt(in.Now, in.IdleTimeout):
		return ActSessionExpired
	case in.Gen > s.RefreshGen:
		return ActUnknown
	case in.Gen == s.RefreshGen:
		if subtle.ConstantTimeCompare(in.PresentedHash, s.RefreshHash) != 1 {
			return ActUnknown
		}
		if !s.RefreshExpiresAt.IsZero() && !in.Now.Before(s.RefreshExpiresAt) {
			return ActRefreshExpired
		}
		return ActRotate
	case in.Gen == s.RefreshGen-1 && in.Grace > 0 && in.Now.Sub(s.RotatedAt) <= in.Grace:
		if subtle.ConstantTimeCompare(in.SuccessorHash, s.RefreshHash) != 1 {
			return ActUnknown
		}
		return ActReplay
	case in.Gen == s.RefreshGen-1:
		return ActReuseAfterGrace
	default:
		return ActReuseStale
	}
}

// RotationStep is what a backend does with a presented refresh token: the
// errors and outcomes of DecideRotation, so every backend maps them alike.
type RotationStep struct {
	Err        error  // refuse with Err; change nothing
	Advance    bool   // make the successor current (Rotated)
	Replay     bool   // answer Replayed with the session unchanged
	ReuseCause string // otherwise: end the session for reuse ("after-grace" or "stale")
}

// StepRotation decides the rotation of cur for in.
func StepRotation(cur Session, in Rotate) RotationStep {
	switch DecideRotation(cur, in) {
	case ActSessionExpired:
		return RotationStep{Err: ErrSessionExpired}
	case ActRefreshExpired:
		return RotationStep{Err: ErrRefreshExpired}
	case ActUnknown:
		return RotationStep{Err: ErrNotFound}
	case ActKeyMismatch:
		return RotationStep{Err: ErrKeyMismatch}
	case ActUnbound:
		return RotationStep{Err: ErrUnbound}
	case ActRotate:
		return RotationStep{Advance: true}
	case ActReplay:
		return RotationStep{Replay: true}
	case ActReuseAfterGrace:
		return RotationStep{ReuseCause: "after-grace"}
	default:
		return RotationStep{ReuseCause: "stale"}
	}
}
