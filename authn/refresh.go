package authn

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

var errNoSigner = errors.New("no signing key")

func hashRefresh(t string) []byte { return token.HashRefresh(t) }

// refreshedEvery is how often at most a session's refreshes are stored in
// the audit trail (each one is still logged): a session refreshed every
// minute for a month must not grow the trail by 43,200 rows.
const refreshedEvery = time.Hour

// newRefresh mints a refresh token of generation gen of sess with a random
// body (login, reauth).
func (s *Service) newRefresh(sess store.Session, gen int64) (string, error) {
	t, err := token.NewRefresh(s.refreshKey, token.Refresh{UserID: sess.UserID, SessionID: sess.ID, Gen: gen})
	if err != nil {
		return "", storeErr(err)
	}
	return t, nil
}

// Refresh spends a refresh token and returns a new pair. The successor is
// derived from the presented token with a server secret, so presenting the
// just-spent token again within the grace window yields the same successor
// without the successor ever being stored in clear.
//
// Refresh presents no DPoP key: a bound session's token is refused
// (ErrDPoPKey). RefreshBound is the same with the proof's key.
func (s *Service) Refresh(ctx context.Context, presented string, c Client) (TokenPair, error) {
	return s.RefreshBound(ctx, presented, "", c)
}

// RefreshBound is Refresh with the thumbprint of the key of the DPoP proof
// that came with it ("" for none, checked by the caller). A bound session
// rotates only with its own key; the store checks it in the rotation
// itself, before the token is looked at, so a refusal spends nothing and
// is never counted as reuse. An unbound session stays unbound.
func (s *Service) RefreshBound(ctx context.Context, presented, jkt string, c Client) (TokenPair, error) {
	pair, err := s.refresh(ctx, presented, jkt, c)
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
	case errors.Is(err, ErrDPoPKey), errors.Is(err, ErrDPoPRequired):
		return "dpop"
	default:
		return "error"
	}
}

func (s *Service) refresh(ctx context.Context, presented, jkt string, c Client) (TokenPair, error) {
	r, err := token.ParseRefresh(s.refreshKey, presented)
	if err != nil {
		return TokenPair{}, ErrInvalidRefresh
	}
	successor, err := token.SuccessorRefresh(s.refreshKey, presented, r)
	if err != nil {
		return TokenPair{}, ErrInvalidRefresh
	}
	now := s.Now().UTC()
	res, err := s.Store.RotateRefresh(ctx, store.Rotate{
		UserID: r.UserID, SessionID: r.SessionID, Gen: r.Gen,
		PresentedHash: hashRefresh(presented), SuccessorHash: hashRefresh(successor),
		Now: now, Grace: s.Policy.ReuseGrace, RefreshTTL: s.Policy.RefreshTTL,
		IdleTimeout: s.Policy.IdleTimeout, RevokeUntil: s.revokeUntil(now),
		JKT: jkt, RequireBound: s.Policy.DPoPRequired,
	})
	if e := rotationErr(err); e != nil {
		return TokenPair{}, e
	}
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
		s.record(EvSessionExpired, r.UserID, r.SessionID, c, nil)
		return TokenPair{}, ErrSessionExpired
	case err != nil:
		return TokenPair{}, storeErr(err)
	}
	if res.Outcome == store.Rotated {
		s.refreshed(res, c)
	}
	return s.pair(res.Session, successor, now)
}

// refreshed logs every rotation and stores one in the audit trail when the
// session's previous rotation was at least refreshedEvery ago (or it is the
// session's first), so the trail grows with time, not with refreshes.
func (s *Service) refreshed(res store.RotateResult, c Client) {
	sess := res.Session
	gen := strconv.FormatInt(sess.RefreshGen, 10)
	if sess.RefreshGen == 2 || sess.RotatedAt.Sub(res.PrevRotatedAt) >= refreshedEvery ||
		sess.RotatedAt.Sub(sess.CreatedAt)/refreshedEvery != res.PrevRotatedAt.Sub(sess.CreatedAt)/refreshedEvery {
		s.record(EvSessionRefreshed, sess.UserID, sess.ID, c, map[string]string{"generation": gen})
		return
	}
	s.Log.Info("refresh", "event", EvSessionRefreshed, "user_id", sess.UserID, "session_id", sess.ID, "generation", gen)
}

// Reauth checks the password again and returns a pair with a fresh
// auth_time for the same session. The session id stays (it is not a bearer
// credential); the refresh token is replaced, so a refresh token captured
// before the step-up is spent. Wrong passwords count in the same bucket as
// logins from the session's device.
func (s *Service) Reauth(ctx context.Context, p *Principal, pw string, c Client) (TokenPair, error) {
	if err := checkPresentedPassword("password", pw); err != nil {
		return TokenPair{}, err
	}
	u, sess, err := s.Me(ctx, p)
	if errors.Is(err, ErrForbidden) {
		return TokenPair{}, ErrInvalidCredentials
	}
	if err != nil {
		return TokenPair{}, err
	}
	// Reauth keeps the session's binding: a bound session's step-up needs
	// its key (the access token that asks is bound to it, and its proof was
	// checked), and a proof cannot bind an unbound session after the fact.
	switch {
	case sess.JKT != "" && p.JKT != sess.JKT:
		return TokenPair{}, ErrDPoPKey
	case sess.JKT == "" && s.Policy.DPoPRequired && p.Via != ViaCookie:
		return TokenPair{}, ErrDPoPRequired
	}
	if err := s.verifyWithLimit(ctx, u, sess.DeviceID, pw, c); err != nil {
		return TokenPair{}, err
	}
	if p.Via == ViaCookie {
		return s.renewCookieSession(ctx, sess, c)
	}
	var refresh string
	for try := 0; ; try++ {
		now := s.Now().UTC()
		gen := sess.RefreshGen + 1
		if refresh, err = s.newRefresh(sess, gen); err != nil {
			return TokenPair{}, err
		}
		sess, err = s.Store.Reauth(ctx, p.UserID, p.SessionID, gen, hashRefresh(refresh), now, s.Policy.RefreshTTL, s.Policy.IdleTimeout)
		if !errors.Is(err, store.ErrConflict) || try == 3 {
			break
		}
		// A refresh rotated the chain meanwhile: mint for the next generation.
		if sess, err = s.Store.Session(ctx, p.UserID, p.SessionID); err != nil {
			break
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrSessionExpired
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	now := s.Now().UTC()
	s.record(EvSessionReauth, u.ID, sess.ID, c, nil)
	pair, err := s.pair(sess, refresh, now)
	if err == nil && p.Via == ViaJWTCookie {
		pair.CSRFToken = s.sessionCSRF(sess.ID)
	}
	return pair, err
}
