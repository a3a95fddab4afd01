package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/token"
)

type ctxPrincipal struct{}

func principal(r *http.Request) *authn.Principal {
	p, _ := r.Context().Value(ctxPrincipal{}).(*authn.Principal)
	return p
}

// bearer extracts the token of an "Authorization: Bearer" header (scheme
// case-insensitive, RFC 6750). ok is false when there is none.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// authenticate verifies the request's access token: no I/O.
func (s *Server) authenticate(r *http.Request) (*authn.Principal, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, token.ErrInvalid
	}
	return s.svc.Authenticate(tok)
}

// auth requires a valid access token.
func (s *Server) auth(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), ctxPrincipal{}, p)))
	}
}

// admin requires the admin bearer token, compared in constant time (over
// hashes, so the comparison does not leak the token's length either).
func (s *Server) admin(h handler) handler {
	want := sha256.Sum256([]byte(s.opt.AdminToken))
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.opt.AdminToken == "" {
			return errorf(http.StatusForbidden, "forbidden", "the admin API is disabled: set GATEHOUSE_ADMIN_TOKEN")
		}
		tok, ok := bearer(r)
		got := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			if _, err := s.svc.Authenticate(tok); ok && err == nil {
				return errorf(http.StatusForbidden, "forbidden", "this endpoint needs the admin token")
			}
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			return errorf(http.StatusUnauthorized, "invalid_token", "the admin token is missing or wrong")
		}
		return h(w, r)
	}
}
