package sqlitestore

import (
	"fmt"
	"sort"

	"github.com/gatehouse/gatehouse/store"
)

// ending is a session an operation is about to end, and why.
type ending struct {
	session store.Session
	reason  string
}

// planCreate decides what CreateSession does to the user's existing sessions
// (existing holds only in.Session.UserID's sessions): dead ones (past their
// effective expiry at in.Now) are deleted without a revocation and do not
// count; live ones listed in in.End are ended ("resolved"); the live one on
// the same device is ended when in.ReplaceDevice (an empty DeviceID names no
// device); then, if the user would exceed in.MaxSessions, in.Overflow picks
// the sessions to end or rejects the login with store.ErrSessionLimit.
func planCreate(existing []store.Session, in store.CreateSession) (dead []store.Session, end []ending, err error) {
	var live []store.Session
	device := in.Session.DeviceID
	resolve := make(map[string]bool, len(in.End))
	for _, id := range in.End {
		resolve[id] = true
	}
	for _, e := range existing {
		switch {
		case !in.Now.Before(e.EffectiveExpiry(in.IdleTimeout)):
			dead = append(dead, e)
		case resolve[e.ID]:
			end = append(end, ending{e, "resolved"})
		case in.ReplaceDevice && device != "" && e.DeviceID == device:
			end = append(end, ending{e, "device"})
		default:
			live = append(live, e)
		}
	}
	if in.MaxSessions <= 0 || len(live) < in.MaxSessions {
		return dead, end, nil
	}
	excess := len(live) - in.MaxSessions + 1
	switch in.Overflow {
	case store.Reject:
		return nil, nil, store.ErrSessionLimit
	case store.EvictOldest:
		sort.Slice(live, func(i, j int) bool { return before(live[i], live[j], false) })
	case store.EvictIdle:
		sort.Slice(live, func(i, j int) bool { return before(live[i], live[j], true) })
	default:
		return nil, nil, fmt.Errorf("unknown overflow policy %q", in.Overflow)
	}
	for _, e := range live[:excess] {
		end = append(end, ending{e, string(in.Overflow)})
	}
	return dead, end, nil
}

// before orders sessions by LastSeenAt (if idle) then CreatedAt then ID.
func before(a, b store.Session, idle bool) bool {
	if idle && !a.LastSeenAt.Equal(b.LastSeenAt) {
		return a.LastSeenAt.Before(b.LastSeenAt)
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}
