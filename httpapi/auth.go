package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/reqauth"
)

type ctxPrincipal struct{}

func principal(r *http.Request) *authn.Principal {
	p, _ := r.Context().Value(ctxPrincipal{}).(*authn.Principal)
	return p
}

// errNoCredential is a request to an authenticated endpoint that presented
// no credential at all: RFC 6750 §3.1 wants a bare "Bearer" challenge then,
// without an error attribute.
var errNoCredential = reqauth.ErrNoCredential

// bearer is the request's access token in its one accepted spelling
// (package credential); a missing one is errNoCredential, a malformed one
// credential.ErrMalformed.
func bearer(r *http.Request) (string, error) {
	tok, present, err := credential.Bearer(r.Header)
	switch {
	case err != nil:
		return "", err
	case !present:
		return "", errNoCredential
	}
	return tok, nil
}

// authenticate resolves the request's credential by the rules the gateway
// shares (reqauth.Authenticate).
func (s *Server) authenticate(r *http.Request) (*authn.Principal, error) {
	return reqauth.Authenticate(s.svc, r, s.cookies.SessionName())
}

// auth requires a valid credential; a cookie-authenticated unsafe request
// must also pass the CSRF rules (csrf).
func (s *Server) auth(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if !p.ByHeader() {
			if err := s.csrf(r, p.CSRF); err != nil {
				return err
			}
		}
		return h(w, r.WithContext(withPrincipal(r, p)))
	}
}

func withPrincipal(r *http.Request, p *authn.Principal) context.Context {
	return context.WithValue(r.Context(), ctxPrincipal{}, p)
}

// csrf applies the CSRF rules to a request a cookie authenticates: for an
// unsafe method, a same-origin (or --allowed-origins) provenance and the
// session's X-CSRF-Token. A bearer token cannot be sent by a cross-site
// page, so bearer requests are exempt.
func (s *Server) csrf(r *http.Request, want string) error {
	if !browser.Unsafe(r.Method) {
		return nil
	}
	if err := s.origins.SameSite(r, s.self(r)); err != nil {
		return err
	}
	return browser.CheckToken(r, want)
}

// self is the request's own origin; behind a trusted proxy its
// X-Forwarded-Proto says whether the browser used https.
func (s *Server) self(r *http.Request) string {
	return browser.Self(r, s.forwardedHTTPS(r))
}

// errWrongAdminToken is a well-formed bearer token that is neither the
// admin token nor a user's valid access token.
var errWrongAdminToken = errors.New("httpapi: the admin token is wrong")

// admin requires the admin bearer token, compared in constant time (over
// hashes, so the comparison does not leak the token's length either).
func (s *Server) admin(h handler) handler {
	want := sha256.Sum256([]byte(s.opt.AdminToken))
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.opt.AdminToken == "" {
			return errorf(http.StatusForbidden, "forbidden", "the admin API is disabled: set GATEHOUSE_ADMIN_TOKEN")
		}
		tok, err := bearer(r)
		if err != nil {
			return err
		}
		ip := s.clientIP(r)
		if err := s.svc.Admin().Blocked(ip); err != nil {
			return err
		}
		got := sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			if _, err := s.svc.Authenticate(tok); err == nil {
				return errorf(http.StatusForbidden, "forbidden", "this endpoint needs the admin token")
			}
			if err := s.svc.Admin().Failed(r.Context(), ip); err != nil {
				return err
			}
			return errWrongAdminToken
		}
		return h(w, r)
	}
}
