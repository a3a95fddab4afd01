package authn

import (
	"context"
	"errors"
	"strconv"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

var errNoSigner = errors.New("no signing key")

func hashRefresh(t string) []byte { return token.HashRefresh(t) }

func newRefresh() (string, error) {
	t, err := token.NewRefreshToken()
	if err != nil {
		return "", storeErr(err)
	}
	return t, nil
}

// Refresh spends a refresh token and returns a new pair. The successor is
// derived from the presented token with a server secret, so presenting the
// just-spent token again within the grace window yields the same successor
// without the successor ever being stored in clear.
func (s *Service) Refresh(ctx context.Context, presented string, c Client) (TokenPair, error) {
	pair, err := s.refresh(ctx, presented, c)
	s.Metrics.Refreshes.WithLabelValues(refreshResult(err)).Inc()
	return pair, err
}

func refreshResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrReused):
		return "reused"
	case errors.Is(err, ErrSessionExpired):
		return "session_expired"
	case errors.Is(err, ErrInvalidRefresh):
		return "invalid"
	default:
		return "error"
	}
}

func (s *Service) refresh(ctx context.Context, presented string, c Client) (TokenPair, error) {
	if !token.ValidRefreshFormat(presented) {
		return TokenPair{}, ErrInvalidRefresh
	}
	now := s.Now().UTC()
	successor := token.Successor(s.Secret, presented)
	res, err := s.Store.RotateRefresh(ctx, store.Rotate{
		PresentedHash: hashRefresh(presented), SuccessorHash: hashRefresh(successor),
		Now: now, Grace: s.Policy.ReuseGrace, RefreshTTL: s.Policy.RefreshTTL,
		IdleTimeout: s.Policy.IdleTimeout, RevokeUntil: s.revokeUntil(now),
	})
	switch {
	case errors.Is(err, store.ErrReused):
		s.Metrics.Reuse.WithLabelValues(res.ReuseCause).Inc()
		if res.Ended != nil {
			s.record(EvRefreshReused, res.Ended.Session.UserID, res.Ended.Session.ID, c, map[string]string{"cause": res.ReuseCause})
			s.ended([]store.Ended{*res.Ended}, c)
		}
		return TokenPair{}, ErrReused
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRefreshExpired):
		return TokenPair{}, ErrInvalidRefresh
	case errors.Is(err, store.ErrSessionExpired):
		s.expired(ctx, presented, c)
		return TokenPair{}, ErrSessionExpired
	case err != nil:
		return TokenPair{}, storeErr(err)
	}
	u, err := s.Store.UserByID(ctx, res.Session.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrInvalidRefresh
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	if res.Outcome == store.Rotated {
		s.record(EvSessionRefreshed, u.ID, res.Session.ID, c, map[string]string{"generation": strconv.FormatInt(res.Session.RefreshGen, 10)})
	}
	return s.pair(u, res.Session, successor, now)
}

// expired records that a session was found expired (at most once: the
// sweeper deletes it later).
func (s *Service) expired(ctx context.Context, presented string, c Client) {
	sess, _, err := s.Store.RefreshSession(ctx, hashRefresh(presented))
	if err == nil {
		s.record(EvSessionExpired, sess.UserID, sess.ID, c, nil)
	}
}

// Reauth checks the password again and returns a pair with a fresh
// auth_time for the same session. The session id stays (it is not a bearer
// credential); the refresh token is replaced, so a refresh token captured
// before the step-up is spent.
func (s *Service) Reauth(ctx context.Context, p *Principal, pw string, c Client) (TokenPair, error) {
	if err := checkPresentedPassword("password", pw); err != nil {
		return TokenPair{}, err
	}
	if err := s.allow(ctx, "reauth", p.UserID, c.IP); err != nil {
		return TokenPair{}, err
	}
	u, err := s.Store.UserByID(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrInvalidCredentials
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	if u, err = s.checkUserPassword(ctx, u, pw); err != nil {
		s.chargeIf(ctx, err, "reauth", p.UserID, c.IP, ErrInvalidCredentials)
		return TokenPair{}, err
	}
	refresh, err := newRefresh()
	if err != nil {
		return TokenPair{}, err
	}
	now := s.Now().UTC()
	sess, err := s.Store.Reauth(ctx, p.SessionID, hashRefresh(refresh), now, s.Policy.RefreshTTL)
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrSessionExpired
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	s.record(EvSessionReauth, u.ID, sess.ID, c, nil)
	return s.pair(u, sess, refresh, now)
}
