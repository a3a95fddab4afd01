package authn

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
	"github.com/google/uuid"
)

// Delivery is how a login hands its credentials to the client.
type Delivery string

const (
	// DeliveryBearer: the token pair in the body (apps and servers).
	DeliveryBearer Delivery = ""
	// DeliveryCookie: a stateful browser session; the browser holds only an
	// opaque session cookie, the server a hash of it.
	DeliveryCookie Delivery = "cookie"
	// DeliveryJWTCookie: the token pair in HttpOnly cookies, for pages that
	// call several resource servers directly.
	DeliveryJWTCookie Delivery = "jwt-cookie"
)

// How a request was authenticated (Principal.Via).
const (
	ViaBearer    = "bearer"
	ViaCookie    = "cookie"
	ViaJWTCookie = "jwt-cookie"
	// ViaDPoP: a DPoP-bound access token with its proof; like a bearer
	// token it cannot be sent by a cross-site page, so no CSRF check.
	ViaDPoP = "dpop"
)

// A session cookie is base64url(32 random bytes ‖ user id ‖ session id),
// the ids as their 16 UUID bytes: the random part is the secret (the store
// keeps its hash of the whole value), the ids find the session without a
// lookup table from secret to session (a Redis Cluster finds the user's
// slot from the user id; see store.Sessions.SessionByCookie).
const cookieRawLen = 32 + 16 + 16

// cookieSecretLen is a session cookie's length: 86 characters.
var cookieSecretLen = base64.RawURLEncoding.EncodedLen(cookieRawLen)

// SlideEvery is how often at most a browser session's use is written
// (last seen, sliding lifetime): at most one store write a minute per
// session, whatever the request rate.
const SlideEvery = time.Minute

// cookieCacheTTL bounds how stale a cached browser session may be about
// things that do not revoke it (a role change); revocations are checked on
// every hit.
const cookieCacheTTL = 30 * time.Second

const maxCookieCache = 1 << 16

// newCookieSecret is a new session cookie for session sid of user uid
// (both UUIDs, as authn makes them).
func newCookieSecret(uid, sid string) (string, error) {
	u, err := uuid.Parse(uid)
	if err != nil {
		return "", fmt.Errorf("session cookie: user id: %w", err)
	}
	s, err := uuid.Parse(sid)
	if err != nil {
		return "", fmt.Errorf("session cookie: session id: %w", err)
	}
	b := make([]byte, 32, cookieRawLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(append(append(b, u[:]...), s[:]...)), nil
}

// cookieIDs reads the user and session ids of a cookie of our shape.
func cookieIDs(v string) (uid, sid string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) != cookieRawLen {
		return "", "", false
	}
	return uuid.UUID(b[32:48]).String(), uuid.UUID(b[48:]).String(), true
}

func hashCookie(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CSRFToken is the CSRF token of a session cookie: an HMAC of the cookie
// secret under a server key, so it is never stored and can be handed out
// again (GET /v1/csrf).
func (s *Service) CSRFToken(cookieSecret string) string {
	return s.csrfMAC("cookie\x00" + cookieSecret)
}

// sessionCSRF is the CSRF token of a jwt-cookie session: it must survive
// the rotation of both cookies, so it is bound to the session id.
func (s *Service) sessionCSRF(sessionID string) string {
	return s.csrfMAC("session\x00" + sessionID)
}

func (s *Service) csrfMAC(msg string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCookieSecret: exactly our own shape, decided before any hashing.
func validCookieSecret(v string) bool {
	if len(v) != cookieSecretLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	// 86 characters carry 516 bits: the last one's four spare bits are zero
	// as the encoder writes them, so each cookie has one spelling only.
	return strings.IndexByte("AQgw", v[len(v)-1]) >= 0
}

// cookieCache maps the hash of a session cookie to its session, so a
// browser request costs no store round trip on a hit. It is invalidated
// through the revocation set: every hit asks it, so a logout on this node
// is felt on the very next request, and one on another node as soon as the
// revocation log reaches this one.
type cookieCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedSession
}

type cachedSession struct {
	sess  store.Session
	csrf  string
	until time.Time
}

func (c *cookieCache) get(k [32]byte, now time.Time) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !now.Before(e.until) {
		return cachedSession{}, false
	}
	return e, true
}

func (c *cookieCache) put(k [32]byte, sess store.Session, csrf string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCookieCache {
		for x, e := range c.m { // expired first, then any: a miss costs one read
			if !now.Before(e.until) || len(c.m) >= maxCookieCache {
				delete(c.m, x)
			}
			if len(c.m) < maxCookieCache/2 {
				break
			}
		}
	}
	c.m[k] = cachedSession{sess: sess, csrf: csrf, until: now.Add(cookieCacheTTL)}
}

func (c *cookieCache) drop(k [32]byte) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// AuthenticateCookie resolves a session cookie to its principal: from the
// local cache when it can (no I/O), else one store read. The revocation set
// is asked on every request. A use slides the session at most once a minute.
func (s *Service) AuthenticateCookie(ctx context.Context, secret string) (*Principal, error) {
	p, err := s.authenticateCookie(ctx, secret)
	result := "ok"
	if err != nil {
		result = verifyResult(err)
	}
	s.Metrics.Verifies.WithLabelValues(result).Inc()
	return p, err
}

func (s *Service) authenticateCookie(ctx context.Context, secret string) (*Principal, error) {
	if !validCookieSecret(secret) {
		return nil, token.ErrInvalid
	}
	now := s.Now()
	h := sha256.Sum256([]byte(secret))
	e, hit := s.cookies.get(h, now)
	sess, csrf := e.sess, e.csrf
	if !hit {
		uid, sid, ok := cookieIDs(secret)
		if !ok {
			return nil, token.ErrInvalid
		}
		var err error
		sess, err = s.Store.SessionByCookie(ctx, uid, sid, h[:])
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, token.ErrInvalid
		case err != nil:
			return nil, storeErr(err)
		}
		csrf = s.CSRFToken(secret)
	}
	if s.Revoked.Revoked(sess.ID, sess.UserID, sess.CreatedAt) {
		s.cookies.drop(h)
		s.sessionTokens.drop(sess.ID)
		return nil, token.ErrRevoked
	}
	if !sess.Live(now, s.Policy.IdleTimeout) {
		s.cookies.drop(h)
		s.sessionTokens.drop(sess.ID)
		return nil, ErrSessionExpired
	}
	slid := false
	if now.Sub(sess.LastSeenAt) >= SlideEvery {
		next, err := s.Store.Slide(ctx, sess.UserID, sess.ID, now.UTC(), s.Policy.RefreshTTL)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.cookies.drop(h)
			return nil, token.ErrRevoked
		case err != nil:
			// The session is valid; the slide is tried again next request.
			s.Log.Warn("session not slid", "session_id", sess.ID, "err", err)
		default:
			sess, slid = next, true
		}
	}
	if !hit || slid {
		s.cookies.put(h, sess, csrf, now)
	}
	return &Principal{
		UserID: sess.UserID, Username: sess.Username, SessionID: sess.ID, Roles: sess.Roles,
		AuthTime: sess.AuthTime, IssuedAt: sess.CreatedAt, ExpiresAt: sess.EffectiveExpiry(s.Policy.IdleTimeout),
		Via: ViaCookie, CSRF: csrf,
	}, nil
}

// AuthenticateJWTCookie verifies the jwt-cookie mode's access cookie like a
// bearer token, and binds the CSRF token of its session.
func (s *Service) AuthenticateJWTCookie(raw string) (*Principal, error) {
	p, err := s.Authenticate(raw)
	if err != nil {
		return nil, err
	}
	p.Via, p.CSRF = ViaJWTCookie, s.sessionCSRF(p.SessionID)
	return p, nil
}

// AccessCookieCSRF is the CSRF token of the session a jwt-cookie access
// token names, even when the token has expired (within a refresh lifetime):
// a page reloaded after its access cookie expired must be able to learn the
// token it needs to refresh. The token must still be ours and not revoked.
func (s *Service) AccessCookieCSRF(raw string) (string, error) {
	c, err := s.lateVerify.Verify(raw)
	if err != nil {
		return "", err
	}
	return s.sessionCSRF(c.SessionID), nil
}

// RefreshCSRF is the CSRF token a cookie refresh must carry: that of the
// session the refresh token names (its MAC is checked; a token that is not
// ours has none).
func (s *Service) RefreshCSRF(refresh string) (string, bool) {
	r, err := token.ParseRefresh(s.refreshKey, refresh)
	if err != nil {
		return "", false
	}
	return s.sessionCSRF(r.SessionID), true
}

// renewCookieSession is reauth for a browser session: a new session id and
// cookie secret, so neither survives the step-up.
func (s *Service) renewCookieSession(ctx context.Context, sess store.Session, c Client) (TokenPair, error) {
	now := s.Now().UTC()
	sid, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	next := sess
	next.ID = sid.String()
	refresh, err := s.newRefresh(next, 1)
	if err != nil {
		return TokenPair{}, err
	}
	secret, err := newCookieSecret(sess.UserID, next.ID)
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	renewed, ended, err := s.Store.RenewSession(ctx, store.RenewSession{
		UserID: sess.UserID, OldID: sess.ID, NewID: next.ID, CookieHash: hashCookie(secret), RefreshHash: hashRefresh(refresh),
		Now: now, IdleTimeout: s.Policy.IdleTimeout, RevokeUntil: s.revokeUntil(now),
	})
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrSessionExpired
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	s.Revoked.Add(ended.Revocation)
	s.record(EvSessionReauth, renewed.UserID, renewed.ID, c, map[string]string{"previous_session_id": sess.ID})
	pair, err := s.pair(renewed, refresh, now)
	if err != nil {
		return TokenPair{}, err
	}
	pair.CookieSecret, pair.CSRFToken = secret, s.CSRFToken(secret)
	return pair, nil
}
