package revoke

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

type userEntry struct {
	notBefore time.Time
	until     time.Time
}

// Set is the in-memory revocation set. It is safe for concurrent use; reads
// (Revoked) take a shared lock only.
type Set struct {
	mu       sync.RWMutex
	sessions map[string]time.Time // session id → until
	users    map[string]userEntry // user id → not-before, until
	lastID   int64
	subs     map[chan store.Revocation]struct{}
}

// New returns an empty set.
func New() *Set {
	return &Set{
		sessions: make(map[string]time.Time),
		users:    make(map[string]userEntry),
		subs:     make(map[chan store.Revocation]struct{}),
	}
}

// Revoked reports whether an access token of session sid, user sub, issued at
// iat must be refused. It does no I/O.
func (s *Set) Revoked(sid, sub string, iat time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.sessions[sid]; ok && sid != "" {
		return true
	}
	if u, ok := s.users[sub]; ok && iat.Before(u.notBefore) {
		return true
	}
	return false
}

// Add records r. Adding the same revocation twice is harmless; a later
// not-before for a user replaces an earlier one.
func (s *Set) Add(r store.Revocation) { s.AddAll([]store.Revocation{r}) }

// AddAll records many revocations under one lock (a logout everywhere).
func (s *Set) AddAll(rs []store.Revocation) {
	s.mu.Lock()
	for _, r := range rs {
		s.add(r)
	}
	subs := s.snapshotSubs()
	s.mu.Unlock()
	for _, c := range subs {
		for _, r := range rs {
			select {
			case c <- r:
			default: // a slow subscriber must not block revocation; it resyncs by id
			}
		}
	}
}

func (s *Set) add(r store.Revocation) {
	if r.ID > s.lastID {
		s.lastID = r.ID
	}
	if r.SessionID != "" {
		if cur, ok := s.sessions[r.SessionID]; !ok || r.Until.After(cur) {
			s.sessions[r.SessionID] = r.Until
		}
		return
	}
	if r.UserID == "" {
		return
	}
	cur := s.users[r.UserID]
	if r.NotBefore.After(cur.notBefore) {
		cur.notBefore = r.NotBefore
	}
	if r.Until.After(cur.until) {
		cur.until = r.Until
	}
	s.users[r.UserID] = cur
}

func (s *Set) snapshotSubs() []chan store.Revocation {
	if len(s.subs) == 0 {
		return nil
	}
	out := make([]chan store.Revocation, 0, len(s.subs))
	for c := range s.subs {
		out = append(out, c)
	}
	return out
}

// Subscribe returns a channel that receives every revocation added from now
// on, and a function that ends the subscription. A subscriber that does not
// keep up misses events; it can resync from the store by LastID.
func (s *Set) Subscribe(buffer int) (<-chan store.Revocation, func()) {
	c := make(chan store.Revocation, buffer)
	s.mu.Lock()
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.subs, c)
		s.mu.Unlock()
	}
}

// Prune drops every entry whose Until is not after now and returns how many
// it dropped: no access token it covers can still be alive.
func (s *Set) Prune(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, until := range s.sessions {
		if !until.After(now) {
			delete(s.sessions, k)
			n++
		}
	}
	for k, u := range s.users {
		if !u.until.After(now) {
			delete(s.users, k)
			n++
		}
	}
	return n
}

// Len is the number of entries (for the gauge).
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions) + len(s.users)
}

// LastID is the highest revocation id the set has seen.
func (s *Set) LastID() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastID
}

// Source is where revocations are loaded from (a store.Sessions).
type Source interface {
	Revocations(ctx context.Context, now time.Time, afterID int64) ([]store.Revocation, error)
}

// Sync adds every revocation in force at now that the set has not seen yet
// (id greater than LastID). Called at start with an empty set, it loads all.
func (s *Set) Sync(ctx context.Context, src Source, now time.Time) error {
	rs, err := src.Revocations(ctx, now, s.LastID())
	if err != nil {
		return err
	}
	for _, r := range rs {
		s.Add(r)
	}
	return nil
}
