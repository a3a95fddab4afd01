package authn

import (
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
	"github.com/google/uuid"
)

// TokenPair is what login, refresh and reauth return.
type TokenPair struct {
	AccessToken      string
	ExpiresIn        time.Duration
	RefreshToken     string
	RefreshExpiresIn time.Duration
	SessionID        string
	DeviceID         string
	Session          store.Session
	// CookieSecret is the session cookie's value (DeliveryCookie).
	CookieSecret string
	// CSRFToken is the browser session's CSRF token (cookie deliveries).
	CSRFToken string
	// JKT is the DPoP key the pair is bound to ("" for a bearer pair):
	// token_type "DPoP".
	JKT string
}

// Principal is who an access token speaks for.
type Principal struct {
	UserID    string
	Username  string
	SessionID string
	Roles     []string
	AuthTime  time.Time
	IssuedAt  time.Time
	ExpiresAt time.Time
	TokenID   string
	// Via is how the request was authenticated: ViaBearer, ViaCookie or
	// ViaJWTCookie. Cookie-authenticated unsafe requests need CSRF.
	Via string
	// CSRF is the token a cookie-authenticated unsafe request must carry
	// (empty for bearer requests).
	CSRF string
	// JKT is the DPoP key the access token is bound to (Via ViaDPoP).
	JKT string
}

// ByHeader reports whether the request was authenticated by its
// Authorization header (a bearer or DPoP token) rather than a cookie: such
// a request cannot be forged by a cross-site page, so it needs no CSRF
// token, and it has no cookies to clear.
func (p *Principal) ByHeader() bool { return p.Via == ViaBearer || p.Via == ViaDPoP }

// Authenticate verifies an access token: strict parse, signature, claims and
// the local revocation set. It does no I/O.
func (s *Service) Authenticate(raw string) (*Principal, error) {
	c, err := s.verify.Verify(raw)
	if err == nil && c.JKT != "" {
		err = errBoundAsBearer // no downgrade (RFC 9449 §7.2)
	}
	if err != nil {
		s.Metrics.Verifies.WithLabelValues(verifyResult(err)).Inc()
		return nil, err
	}
	s.Metrics.Verifies.WithLabelValues("ok").Inc()
	return principalOf(c, ViaBearer), nil
}

func verifyResult(err error) string {
	switch {
	case errors.Is(err, token.ErrExpired):
		return "expired"
	case errors.Is(err, token.ErrRevoked):
		return "revoked"
	default:
		return "invalid"
	}
}

// mint signs an access token for session sess. Username and roles come from
// the session (kept current by SetRoles), so no user read is needed.
func (s *Service) mint(sess store.Session, now time.Time) (string, error) {
	k := s.Keys.Ring().Signer()
	if k == nil {
		return "", storeErr(errNoSigner)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", storeErr(err)
	}
	roles := sess.Roles
	if roles == nil {
		roles = []string{}
	}
	return token.Mint(k, &token.Claims{
		Issuer: s.Policy.Issuer, Subject: sess.UserID, Audience: s.Policy.Audience,
		ID: id.String(), SessionID: sess.ID, Username: sess.Username,
		IssuedAt: now, NotBefore: now, ExpiresAt: now.Add(s.Policy.AccessTTL),
		AuthTime: sess.AuthTime, Roles: roles, JKT: sess.JKT,
	})
}

func (s *Service) pair(sess store.Session, refresh string, now time.Time) (TokenPair, error) {
	at, err := s.mint(sess, now)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{
		AccessToken: at, ExpiresIn: s.Policy.AccessTTL,
		RefreshToken: refresh, RefreshExpiresIn: sess.RefreshExpiresAt.Sub(now),
		SessionID: sess.ID, DeviceID: sess.DeviceID, Session: sess, JKT: sess.JKT,
	}, nil
}

// requireFresh enforces step-up: sensitive actions need a recent login.
func (s *Service) requireFresh(p *Principal) error {
	if s.Now().Sub(p.AuthTime) > s.Policy.ReauthMaxAge {
		return ErrReauthRequired
	}
	return nil
}
