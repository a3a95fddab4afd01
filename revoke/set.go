package revoke

import (
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
//
// It keeps two things apart. Local adds (Add, AddAll) take effect at once
// for this node's verification but say nothing about the store's log: a
// revocation written here may have a higher id than one another process
// (the CLI, another node) committed a moment earlier and that this node has
// not read yet. The log cursor is therefore moved only by Sync, which reads
// the store's log in id order; subscribers are fed from Sync too, so they
// see every revocation once, in id order, wherever it was written.
type Set struct {
	mu       sync.RWMutex
	sessions map[string]time.Time // session id → until
	users    map[string]userEntry // user id → not-before, until
	cursor   int64                // highest id read from the log by Sync
	all      userEntry            // every token issued before all.notBefore (RevokeAllBefore)
	subs     map[*Subscription]struct{}

	// syncMu serialises Sync, so events reach subscribers in id order and
	// exactly once.
	syncMu sync.Mutex
	// kick holds at most one pending "a revocation was written here" signal
	// for the sync loop (see Kicked).
	kick chan struct{}
}

// New returns an empty set.
func New() *Set {
	return &Set{
		sessions: make(map[string]time.Time),
		users:    make(map[string]userEntry),
		subs:     make(map[*Subscription]struct{}),
		kick:     make(chan struct{}, 1),
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
	return iat.Before(s.all.notBefore)
}

// RevokeAllBefore refuses every access token issued before notBefore,
// whoever it belongs to, until until (when no such token can be alive any
// more). The app uses it when the session store lost its data (a Redis
// restarted empty): the tokens of sessions that no longer exist, and of
// revocations the store forgot, must not verify. A later notBefore
// replaces an earlier one; it is local to this node (not in the log).
func (s *Set) RevokeAllBefore(notBefore, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if notBefore.After(s.all.notBefore) {
		s.all.notBefore = notBefore
	}
	if until.After(s.all.until) {
		s.all.until = until
	}
}

// Add records r, written to the store by this process, for this node's
// verification at once. Adding the same revocation twice is harmless; a
// later not-before for a user replaces an earlier one. It does not move the
// cursor or notify subscribers; it kicks the sync loop (see Kicked), whose
// Sync delivers r to subscribers in log order.
func (s *Set) Add(r store.Revocation) { s.AddAll([]store.Revocation{r}) }

// AddAll is Add for many revocations under one lock (a logout everywhere).
func (s *Set) AddAll(rs []store.Revocation) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	for _, r := range rs {
		s.add(r)
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // a sync is already pending; it will read this one too
	}
}

// Kicked receives a value after a local add: the sync loop should run Sync
// now instead of at its next tick, so subscribers (and through them other
// nodes) learn of a logout within milliseconds. Signals coalesce.
func (s *Set) Kicked() <-chan struct{} { return s.kick }

func (s *Set) add(r store.Revocation) {
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
	if !s.all.until.IsZero() && !s.all.until.After(now) {
		s.all = userEntry{}
		n++
	}
	return n
}

// Len is the number of entries (for the gauge).
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions) + len(s.users)
}
