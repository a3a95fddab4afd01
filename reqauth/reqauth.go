package reqauth

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/dpop"
)

// ErrNoCredential is a request that presented no credential at all: RFC
// 6750 §3.1 wants a bare "Bearer" challenge then, without an error
// attribute.
var ErrNoCredential = errors.New("reqauth: no credential was presented")

// Target is the request a DPoP proof must name: its method and its URL
// (scheme://host[:port]/path, no query) as the client addressed it.
type Target struct {
	Method, URL string
	// TokenEndpoint selects the token endpoints' proof checker (the
	// server nonce applies): POST /v1/reauth.
	TokenEndpoint bool
}

// Own is the target of r itself on this server: r's method and path under
// the issuer's origin (authn.Service.Origin).
func Own(svc *authn.Service, r *http.Request) Target {
	return Target{Method: r.Method, URL: svc.Origin() + r.URL.EscapedPath()}
}

// Authenticate resolves the request's credential. An access token in the
// Authorization header, when present, is the only one looked at (a request
// with both is authenticated by the token alone): under "Bearer" it must be
// unbound, under "DPoP" bound and accompanied by a proof for this request
// (Own). Otherwise the session cookie (named sessionCookie:
// browser.Cookies.SessionName), then the jwt-cookie mode's access cookie.
// Each has one accepted spelling (package credential): two cookies of one
// Gatehouse name are refused. Tokens cost no I/O but the DPoP replay check
// (none on a single node); a session cookie none on a cache hit.
func Authenticate(svc *authn.Service, r *http.Request, sessionCookie string) (*authn.Principal, error) {
	return AuthenticateFor(svc, r, sessionCookie, Own(svc, r))
}

// AuthenticateFor is Authenticate with the target a DPoP proof must name
// given by the caller: forward-auth checks the proof against the request
// the proxy forwards, not the subrequest it makes.
func AuthenticateFor(svc *authn.Service, r *http.Request, sessionCookie string, t Target) (*authn.Principal, error) {
	tok, scheme, present, err := credential.AccessToken(r.Header)
	switch {
	case err != nil:
		return nil, err
	case present && scheme == credential.SchemeDPoP:
		return svc.AuthenticateDPoP(r.Context(), tok, dpop.Request{
			Method: t.Method, URL: t.URL, Header: credential.DPoPProofs(r.Header),
		}, t.TokenEndpoint)
	case present:
		return svc.Authenticate(tok)
	}
	secret, present, err := credential.Cookie(r.Header, sessionCookie)
	switch {
	case err != nil:
		return nil, err
	case present:
		return svc.AuthenticateCookie(r.Context(), secret)
	}
	at, present, err := credential.Cookie(r.Header, browser.AccessCookie)
	switch {
	case err != nil:
		return nil, err
	case present:
		return svc.AuthenticateJWTCookie(at)
	}
	return nil, ErrNoCredential
}
