package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse/gatehouse/credential"
)

// AccessCookie is the cookie Gatehouse's jwt-cookie browser mode keeps the
// access token in.
const AccessCookie = "gatehouse_at"

type ctxClaims struct{}

// ClaimsFrom returns the claims Middleware put in the request's context.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxClaims{}).(*Claims)
	return c, ok && c != nil
}

// errNoCredential is a request without any credential.
var errNoCredential = errors.New("verifier: no access token")

// Middleware admits requests with a valid access token and puts its claims
// in the context (ClaimsFrom). The token is read as Gatehouse reads it
// (package credential: one Authorization header, scheme Bearer, strict
// b64token; or exactly one gatehouse_at cookie): a malformed credential is
// refused, never ignored. The bearer token wins when both are sent.
// Refusals are Gatehouse's JSON errors with RFC 6750 WWW-Authenticate:
// 401 invalid_token, token_expired or token_revoked; 503 unavailable while
// the feed is stale under FailClosed. A cookie-authenticated unsafe request
// (POST, PUT, PATCH, DELETE) must come from the page's own origin (Origin
// or Sec-Fetch-Site), else 403 csrf_failed.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, viaCookie, err := credentialOf(r)
		if err == nil {
			if viaCookie && unsafeMethod(r.Method) && crossSite(r) {
				writeError(w, http.StatusForbidden, "csrf_failed", "a cookie-authenticated change must come from the same origin", "")
				return
			}
			var c *Claims
			if c, err = v.Verify(r.Context(), tok); err == nil {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxClaims{}, c)))
				return
			}
		}
		refuse(w, err)
	})
}

// RequireRole admits requests whose token (see Middleware, which must run
// first) has at least one of roles; others get 403 forbidden.
func (v *Verifier) RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			if !ok {
				refuse(w, errNoCredential)
				return
			}
			for _, role := range roles {
				if slices.Contains(c.Roles, role) {
					next.ServeHTTP(w, r)
					return
				}
			}
			writeError(w, http.StatusForbidden, "forbidden", "this needs one of the roles the route requires", "")
		})
	}
}

func credentialOf(r *http.Request) (tok string, viaCookie bool, err error) {
	tok, present, err := credential.Bearer(r.Header)
	if err != nil || present {
		return tok, false, err
	}
	tok, present, err = credential.Cookie(r.Header, AccessCookie)
	if err != nil || present {
		return tok, true, err
	}
	return "", false, errNoCredential
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// crossSite reports whether a browser says the request comes from another
// origin. Requests without either header (not from a browser) pass: a
// cross-site page cannot omit them.
func crossSite(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err != nil || u.Host != r.Host
}

// refuse answers a verification failure as Gatehouse does.
func refuse(w http.ResponseWriter, err error) {
	const invalid = `Bearer error="invalid_token"`
	switch {
	case errors.Is(err, errNoCredential):
		writeError(w, 401, "invalid_token", "an access token is required", "Bearer")
	case errors.Is(err, ErrStale):
		w.Header().Set("Retry-After", "5")
		writeError(w, 503, "unavailable", "revocations cannot be checked right now; try again shortly", "")
	case errors.Is(err, ErrExpired):
		writeError(w, 401, "token_expired", "the access token has expired", invalid)
	case errors.Is(err, ErrRevoked):
		writeError(w, 401, "token_revoked", "the access token's session has been revoked", invalid)
	default:
		writeError(w, 401, "invalid_token", "the access token is missing or invalid", invalid)
	}
}

func writeError(w http.ResponseWriter, status int, code, msg, challenge string) {
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
}
