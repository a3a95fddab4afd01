package verifier

import (
	"sync"
	"time"
)

// revSet is the revocation set this process learned from the feed: the
// same rules as the server's (package revoke, which this library may not
// import because it reads the server's store). Reads take a shared lock.
type revSet struct {
	mu       sync.RWMutex
	sessions map[string]time.Time // sid → until
	users    map[string]userRev   // sub → not-before, until
}

type userRev struct{ notBefore, until time.Time }

func newRevSet() *revSet {
	return &revSet{sessions: map[string]time.Time{}, users: map[string]userRev{}}
}

// revoked is token.Options.Revoked.
func (s *revSet) revoked(sid, sub string, iat time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.sessions[sid]; ok && sid != "" {
		return true
	}
	u, ok := s.users[sub]
	return ok && iat.Before(u.notBefore)
}

// add records one feed event: a session, or a user's tokens issued before
// notBefore. A later not-before or until wins.
func (s *revSet) add(sid, sub string, notBefore, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sid != "" {
		if cur, ok := s.sessions[sid]; !ok || until.After(cur) {
			s.sessions[sid] = until
		}
		return
	}
	if sub == "" || notBefore.IsZero() {
		return
	}
	cur := s.users[sub]
	if notBefore.After(cur.notBefore) {
		cur.notBefore = notBefore
	}
	if until.After(cur.until) {
		cur.until = until
	}
	s.users[sub] = cur
}

// prune drops entries no live token can need any more.
func (s *revSet) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, until := range s.sessions {
		if !until.After(now) {
			delete(s.sessions, k)
		}
	}
	for k, u := range s.users {
		if !u.until.After(now) {
			delete(s.users, k)
		}
	}
}

func (s *revSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions) + len(s.users)
}
