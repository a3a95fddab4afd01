package authn

import (
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
}

// Introspect reports whether a token (access or refresh) is alive now.
// Access tokens cost no I/O; refresh tokens one store read.
func (s *Service) Introspect(ctx context.Context, raw string) (Introspection, error) {
	if token.ValidRefreshFormat(raw) {
		return s.introspectRefresh(ctx, raw)
	}
	p, err := s.Authenticate(raw)
	if err != nil {
		return Introspection{}, nil
	}
	return Introspection{
		Active: true, Subject: p.UserID, SessionID: p.SessionID, Username: p.Username,
		TokenType: "access_token", ExpiresAt: p.ExpiresAt, IssuedAt: p.IssuedAt, Roles: p.Roles,
	}, nil
}

func (s *Service) introspectRefresh(ctx context.Context, raw string) (Introspection, error) {
	sess, gen, err := s.Store.RefreshSession(ctx, hashRefresh(raw))
	if errors.Is(err, store.ErrNotFound) {
		return Introspection{}, nil
	}
	if err != nil {
		return Introspection{}, storeErr(err)
	}
	now := s.Now()
	if gen != sess.RefreshGen || sess.ExpiredAt(now, s.Policy.IdleTimeout) || !now.Before(sess.RefreshExpiresAt) {
		return Introspection{}, nil
	}
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Introspection{}, notFoundOr(err, nil)
	}
	return Introspection{
		Active: true, Subject: u.ID, SessionID: sess.ID, Username: u.Username, TokenType: "refresh_token",
		ExpiresAt: sess.RefreshExpiresAt, IssuedAt: sess.RotatedAt, Roles: u.Roles,
	}, nil
}

// RevokeToken ends the session an access or refresh token belongs to (RFC
// 7009). Unknown, malformed or dead tokens are not an error.
func (s *Service) RevokeToken(ctx context.Context, raw string, c Client) error {
	var userID, sid string
	if token.ValidRefreshFormat(raw) {
		sess, _, err := s.Store.RefreshSession(ctx, hashRefresh(raw))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr(err)
		}
		userID, sid = sess.UserID, sess.ID
	} else {
		p, err := s.Authenticate(raw)
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
