package authn

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// Introspection is RFC 7662's answer.
type Introspection struct {
	Active    bool
	Subject   string
	SessionID string
	Username  string
	TokenType string // "access_token" or "refresh_token"
	ExpiresAt time.Time
	IssuedAt  time.Time
	Roles     []string
	// JKT is the DPoP key the token (or its session) is bound to: the
	// answer's cnf.jkt (RFC 9449 §6.2), "" for a bearer token.
	JKT string
}

// Introspect reports whether a token (access or refresh) is alive now.
// Access tokens cost no I/O; refresh tokens one store read.
func (s *Service) Introspect(ctx context.Context, raw string) (Introspection, error) {
	if r, err := token.ParseRefresh(s.refreshKey, raw); err == nil {
		return s.introspectRefresh(ctx, raw, r)
	}
	p, err := s.inspect(raw)
	if err != nil {
		return Introspection{}, nil
	}
	return Introspection{
		Active: true, Subject: p.UserID, SessionID: p.SessionID, Username: p.Username,
		TokenType: "access_token", ExpiresAt: p.ExpiresAt, IssuedAt: p.IssuedAt, Roles: p.Roles, JKT: p.JKT,
	}, nil
}

// introspectRefresh: a refresh token is active while it is its session's
// current one and the session is live.
func (s *Service) introspectRefresh(ctx context.Context, raw string, r token.Refresh) (Introspection, error) {
	sess, err := s.Store.Session(ctx, r.UserID, r.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return Introspection{}, nil
	}
	if err != nil {
		return Introspection{}, storeErr(err)
	}
	if r.Gen != sess.RefreshGen || !bytes.Equal(hashRefresh(raw), sess.RefreshHash) || !sess.Live(s.Now(), s.Policy.IdleTimeout) {
		return Introspection{}, nil
	}
	return Introspection{
		Active: true, Subject: sess.UserID, SessionID: sess.ID, Username: sess.Username, TokenType: "refresh_token",
		ExpiresAt: sess.RefreshExpiresAt, IssuedAt: sess.RotatedAt, Roles: sess.Roles, JKT: sess.JKT,
	}, nil
}

// RevokeToken ends the session an access or refresh token belongs to (RFC
// 7009). Unknown, malformed or dead tokens are not an error.
func (s *Service) RevokeToken(ctx context.Context, raw string, c Client) error {
	var userID, sid string
	if r, err := token.ParseRefresh(s.refreshKey, raw); err == nil {
		// Any token of the chain, spent or current, names its session under
		// the server's MAC: revoking on an old one is what reuse detection
		// would do anyway.
		userID, sid = r.UserID, r.SessionID
	} else {
		p, err := s.inspect(raw)
		if err != nil {
			return nil
		}
		userID, sid = p.UserID, p.SessionID
	}
	now := s.Now().UTC()
	ended, err := s.Store.EndSessions(ctx, userID, []string{sid}, "revoked", now, s.revokeUntil(now))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return storeErr(err)
	}
	s.ended(ended, c)
	return nil
}
