package revoke

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Source is where revocations are loaded from (a store.Sessions). Its
// contract (see store.Sessions.Revocations) is what makes the cursor safe:
// entries come in id order, and ids become visible in order, so once id n
// has been read no revocation with a lower id can appear later.
type Source interface {
	Revocations(ctx context.Context, now time.Time, afterID int64) ([]store.Revocation, error)
}

// Cursor is the highest revocation id Sync has read from the log. Local
// adds do not move it.
func (s *Set) Cursor() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cursor
}

// Sync reads the log after the cursor (every revocation in force at now
// with a higher id), adds what it reads, advances the cursor to the last id
// read and hands each revocation to the subscribers, in id order. Called at
// start with an empty set, it loads all. Concurrent calls are serialised.
func (s *Set) Sync(ctx context.Context, src Source, now time.Time) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	rs, err := src.Revocations(ctx, now, s.Cursor())
	if err != nil || len(rs) == 0 {
		return err
	}
	s.mu.Lock()
	fresh := rs[:0]
	for _, r := range rs {
		if r.ID <= s.cursor {
			continue // a source breaking its contract must not move us back
		}
		s.add(r)
		s.cursor = r.ID
		fresh = append(fresh, r)
	}
	subs := s.snapshotSubs()
	s.mu.Unlock()
	for _, sub := range subs {
		sub.deliver(fresh)
	}
	return nil
}

func (s *Set) snapshotSubs() []*Subscription {
	if len(s.subs) == 0 {
		return nil
	}
	out := make([]*Subscription, 0, len(s.subs))
	for sub := range s.subs {
		out = append(out, sub)
	}
	return out
}
