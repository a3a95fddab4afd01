package authn

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// DPoP (RFC 9449) in the use cases. The HTTP layer checks the proof that
// came with a request (package dpop) and hands the use cases its key's
// thumbprint; here a session is bound at login, its refresh tokens are
// redeemed only by that key (the store decides it atomically), and access
// tokens are accepted only in the way they were issued.

var (
	// ErrDPoPKey: a DPoP-bound session's refresh token (or reauth) came
	// without a proof by the session's key. Nothing was changed.
	ErrDPoPKey = errors.New("the DPoP proof is missing or not signed by the session's key")
	// ErrDPoPRequired: --dpop required and the request has no proof, or
	// the session is not bound. Nothing was changed.
	ErrDPoPRequired = &InputError{Field: "DPoP", Msg: "a DPoP proof is required (--dpop required): bearer tokens are not issued"}
	// ErrDPoPCookie: a proof came with a cookie delivery. DPoP binds tokens
	// the client holds; a browser session holds none.
	ErrDPoPCookie = &InputError{Field: "DPoP", Msg: "a DPoP proof cannot be combined with a cookie delivery"}

	// errBoundAsBearer: a DPoP-bound token presented under Bearer (no
	// downgrade); errUnboundAsDPoP: a bearer token under the DPoP scheme.
	errBoundAsBearer = fmt.Errorf("%w: a DPoP-bound access token presented as a bearer token", token.ErrInvalid)
	errUnboundAsDPoP = fmt.Errorf("%w: a bearer access token presented under the DPoP scheme", token.ErrInvalid)
	errDPoPOff       = fmt.Errorf("%w: DPoP is not enabled on this server", token.ErrInvalid)
)

// checkBinding applies --dpop and the delivery to a login's key: a proof
// binds only tokens the client holds (DeliveryBearer); with DPoPRequired a
// bearer or jwt-cookie login needs one (browser sessions stay possible).
func (s *Service) checkBinding(in LoginInput) error {
	switch {
	case in.JKT != "" && in.Delivery != DeliveryBearer:
		return ErrDPoPCookie
	case in.JKT == "" && s.Policy.DPoPRequired && in.Delivery != DeliveryCookie:
		return ErrDPoPRequired
	}
	return nil
}

// AuthenticateDPoP verifies an access token presented as "Authorization:
// DPoP <token>" with the proof in req (method, URL and DPoP headers of the
// request): the token must be bound (cnf.jkt) and the proof signed by that
// key, with ath of this token. It runs on every request, so a token served
// from the verified-token cache still needs a fresh proof.
//
// tokenEndpoint selects the token endpoints' checker (reauth: the server
// nonce applies there).
func (s *Service) AuthenticateDPoP(ctx context.Context, raw string, req dpop.Request, tokenEndpoint bool) (*Principal, error) {
	c, err := s.verify.Verify(raw)
	if err == nil && c.JKT == "" {
		err = errUnboundAsDPoP
	}
	if err != nil {
		s.Metrics.Verifies.WithLabelValues(verifyResult(err)).Inc()
		return nil, err
	}
	checker := s.DPoP
	if tokenEndpoint {
		checker = s.DPoPToken
	}
	if checker == nil {
		return nil, errDPoPOff
	}
	req.AccessToken, req.JKT = raw, c.JKT
	if _, err := checker.Check(ctx, req); err != nil {
		if dpop.IsProofError(err) {
			s.Metrics.Verifies.WithLabelValues("invalid_dpop").Inc()
			return nil, err
		}
		return nil, storeErr(err)
	}
	s.Metrics.Verifies.WithLabelValues("ok").Inc()
	return principalOf(c, ViaDPoP), nil
}

// inspect verifies an access token whichever way it is bound: for
// introspection and revocation, which look at a token someone holds, not
// at a request made with it (no proof is involved).
func (s *Service) inspect(raw string) (*Principal, error) {
	c, err := s.verify.Verify(raw)
	if err != nil {
		return nil, err
	}
	return principalOf(c, ViaBearer), nil
}

func principalOf(c *token.Claims, via string) *Principal {
	return &Principal{
		UserID: c.Subject, Username: c.Username, SessionID: c.SessionID, Roles: c.Roles,
		AuthTime: c.AuthTime, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, TokenID: c.ID, Via: via,
		JKT: c.JKT,
	}
}

// Origin is scheme://host[:port] of --issuer: the public address clients
// reach this server by, which DPoP proofs name in htu (the request's own
// Host header is not trusted for it: a proof made for another server that
// shares a path must not pass here).
func (s *Service) Origin() string {
	u, err := url.Parse(s.Policy.Issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// rotationErr maps the store's DPoP refusals of a rotation.
func rotationErr(err error) error {
	switch {
	case errors.Is(err, store.ErrKeyMismatch):
		return ErrDPoPKey
	case errors.Is(err, store.ErrUnbound):
		return ErrDPoPRequired
	}
	return nil
}
