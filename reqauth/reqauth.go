package reqauth

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
)

// ErrNoCredential is a request that presented no credential at all: RFC
// 6750 §3.1 wants a bare "Bearer" challenge then, without an error
// attribute.
var ErrNoCredential = errors.New("reqauth: no credential was presented")

// Authenticate resolves the request's credential. A bearer token, when
// present, is the only one looked at (a request with both is authenticated
// by the bearer token alone); otherwise the session cookie (named
// sessionCookie: browser.Cookies.SessionName), then the jwt-cookie mode's
// access cookie. Each has one accepted spelling (package credential): two
// cookies of one Gatehouse name are refused. Bearer and access cookies cost
// no I/O; a session cookie none on a cache hit.
func Authenticate(svc *authn.Service, r *http.Request, sessionCookie string) (*authn.Principal, error) {
	tok, present, err := credential.Bearer(r.Header)
	switch {
	case err != nil:
		return nil, err
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
