package authn

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// maxSessionTokens bounds the gateway's minted-token cache; past it, expired
// entries go first, then any (a miss only costs one signature).
const maxSessionTokens = 1 << 16

// sessionTokens caches the access token minted for each session the gateway
// forwards, so a busy browser session costs one signature per token
// lifetime, not one per request.
type sessionTokens struct {
	mu    sync.Mutex
	m     map[string]sessionToken
	mints atomic.Int64
}

type sessionToken struct {
	raw      string
	userID   string
	roles    string // joined: a role change re-mints
	issuedAt time.Time
	renewAt  time.Time
	exp      time.Time
}

// SessionToken is an access token minted for a session by MintForSession.
type SessionToken struct {
	Raw       string
	ExpiresAt time.Time
}

// MintForSession returns a short-lived access token for the session p speaks
// for (the gateway forwards it upstream instead of the browser's cookie). It
// is cached per session and re-minted when less than a quarter of its
// lifetime (at most a minute) is left, or when the session's roles changed.
// The revocation set is asked on every call, so a revoked session's token is
// dropped from the cache at its next use and ErrRevoked is returned.
func (s *Service) MintForSession(_ context.Context, p *Principal) (SessionToken, error) {
	now := s.Now()
	roles := joinRoles(p.Roles)
	c := s.sessionTokens
	c.mu.Lock()
	e, ok := c.m[p.SessionID]
	c.mu.Unlock()
	if ok && (s.Revoked.Revoked(p.SessionID, e.userID, e.issuedAt) || s.Revoked.Revoked(p.SessionID, p.UserID, p.IssuedAt)) {
		c.drop(p.SessionID)
		return SessionToken{}, token.ErrRevoked
	}
	if ok && e.userID == p.UserID && e.roles == roles && now.Before(e.renewAt) {
		return SessionToken{Raw: e.raw, ExpiresAt: e.exp}, nil
	}
	if s.Revoked.Revoked(p.SessionID, p.UserID, p.IssuedAt) {
		return SessionToken{}, token.ErrRevoked
	}
	raw, err := s.mint(store.Session{
		ID: p.SessionID, UserID: p.UserID, Username: p.Username, Roles: p.Roles, AuthTime: p.AuthTime,
	}, now)
	if err != nil {
		return SessionToken{}, err
	}
	c.mints.Add(1)
	exp := now.Add(s.Policy.AccessTTL)
	margin := min(s.Policy.AccessTTL/4, time.Minute)
	c.put(p.SessionID, sessionToken{raw: raw, userID: p.UserID, roles: roles, issuedAt: now, renewAt: exp.Add(-margin), exp: exp}, now)
	return SessionToken{Raw: raw, ExpiresAt: exp}, nil
}

// SessionTokensMinted counts the signatures MintForSession made (tests and
// metrics: a cache hit mints nothing).
func (s *Service) SessionTokensMinted() int64 { return s.sessionTokens.mints.Load() }

// SessionTokenCached reports whether a minted token for session sid is
// cached (tests: a revocation drops it).
func (s *Service) SessionTokenCached(sid string) bool {
	s.sessionTokens.mu.Lock()
	defer s.sessionTokens.mu.Unlock()
	_, ok := s.sessionTokens.m[sid]
	return ok
}

func (c *sessionTokens) put(sid string, e sessionToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxSessionTokens {
		for k, old := range c.m {
			if !now.Before(old.renewAt) || len(c.m) >= maxSessionTokens {
				delete(c.m, k)
			}
			if len(c.m) < maxSessionTokens/2 {
				break
			}
		}
	}
	c.m[sid] = e
}

func (c *sessionTokens) drop(sid string) {
	c.mu.Lock()
	delete(c.m, sid)
	c.mu.Unlock()
}

func joinRoles(roles []string) string {
	n := 0
	for _, r := range roles {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	for _, r := range roles {
		b = append(b, r...)
		b = append(b, 0)
	}
	return string(b)
}
