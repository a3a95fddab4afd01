package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/dpop"
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
// (package credential: one Authorization header, scheme Bearer or DPoP,
// strict b64token; or exactly one gatehouse_at cookie): a malformed
// credential is refused, never ignored. The Authorization header wins when
// both are sent. A cookie-authenticated unsafe request (POST, PUT, PATCH,
// DELETE) must come from the page's own origin (Origin or Sec-Fetch-Site),
// else 403 csrf_failed.
//
// A DPoP-bound token (cnf.jkt, RFC 9449) is admitted only as
// "Authorization: DPoP <token>" with one DPoP proof signed by the bound
// key for this request (its method, the URL from PublicURL or the request,
// ath of the token) that has not been used before (DPoPReplay). The same
// token as a bearer token or cookie is invalid_token (no downgrade), and
// so is an unbound token under DPoP.
//
// Refusals are Gatehouse's JSON errors with a WWW-Authenticate challenge,
// as Gatehouse's own endpoints answer: 401 invalid_token, token_expired or
// token_revoked (Bearer error="invalid_token", whatever the scheme);
// 401 invalid_dpop_proof (DPoP
// error="invalid_dpop_proof", algs="ES256 EdDSA"); 503 unavailable while
// the feed is stale under FailClosed or the replay cache cannot answer.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := credentialOf(r)
		if err == nil {
			if p.via == viaCookie && unsafeMethod(r.Method) && crossSite(r) {
				writeError(w, http.StatusForbidden, "csrf_failed", "a cookie-authenticated change must come from the same origin", "")
				return
			}
			var c *Claims
			if c, err = v.authenticate(r, p); err == nil {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxClaims{}, c)))
				return
			}
		}
		refuse(w, err)
	})
}

var (
	errBoundAsBearer = fmt.Errorf("%w: a DPoP-bound access token presented without the DPoP scheme", ErrInvalid)
	errUnboundAsDPoP = fmt.Errorf("%w: a bearer access token presented under the DPoP scheme", ErrInvalid)
)

// authenticate verifies the token and, for the DPoP scheme, its proof. The
// proof is checked last, so only a request with a valid token spends a
// place in the replay cache.
func (v *Verifier) authenticate(r *http.Request, p presented) (*Claims, error) {
	c, err := v.Verify(r.Context(), p.tok)
	switch {
	case err != nil:
		return nil, err
	case p.via == viaDPoP && c.JKT == "":
		return nil, errUnboundAsDPoP
	case p.via != viaDPoP && c.JKT != "":
		return nil, errBoundAsBearer
	case p.via == viaDPoP:
		_, err := v.proofs.Check(r.Context(), dpop.Request{
			Method: r.Method, URL: v.requestURL(r), AccessToken: p.tok, JKT: c.JKT,
			Header: r.Header.Values("DPoP"),
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// requestURL is the URL a client addressed the request to, for htu.
func (v *Verifier) requestURL(r *http.Request) string {
	if v.o.PublicURL != "" {
		return strings.TrimRight(v.o.PublicURL, "/") + r.URL.EscapedPath()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
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

// presented is the credential a request carries and how.
type presented struct {
	tok string
	via int
}

const (
	viaBearer = iota
	viaDPoP
	viaCookie
)

func credentialOf(r *http.Request) (presented, error) {
	if tok, ok, err := dpopScheme(r.Header); ok {
		return presented{tok, viaDPoP}, err
	}
	tok, present, err := credential.Bearer(r.Header)
	if err != nil || present {
		return presented{tok, viaBearer}, err
	}
	tok, present, err = credential.Cookie(r.Header, AccessCookie)
	if err != nil || present {
		return presented{tok, viaCookie}, err
	}
	return presented{}, errNoCredential
}

// dpopScheme reads "Authorization: DPoP <token>" (RFC 9449 §7.1) with the
// same one-spelling rules as a bearer token (scheme in any ASCII case,
// ASCII spaces, a b64token); ok is false when the one Authorization header
// does not name the DPoP scheme.
func dpopScheme(h http.Header) (tok string, ok bool, err error) {
	vs := h.Values("Authorization")
	if len(vs) != 1 || len(vs[0]) < 5 || vs[0][4] != ' ' || !isDPoP(vs[0][:4]) {
		return "", false, nil
	}
	tok, _, err = credential.Bearer(http.Header{"Authorization": {"Bearer" + vs[0][4:]}})
	return tok, true, err
}

func isDPoP(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != "dpop"[i] {
			return false
		}
	}
	return true
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
// Token errors carry Bearer error="invalid_token" whatever the scheme, as
// Gatehouse's own endpoints answer them (API.md); only proof errors carry
// the DPoP challenge.
func refuse(w http.ResponseWriter, err error) {
	const invalid = `Bearer error="invalid_token"`
	switch {
	case dpop.IsProofError(err):
		writeError(w, 401, "invalid_dpop_proof", "the DPoP proof is missing, malformed, replayed or does not match the request, the token or its key", dpop.Challenge("invalid_dpop_proof"))
	case errors.Is(err, dpop.ErrReplayFull):
		w.Header().Set("Retry-After", "5")
		writeError(w, 503, "unavailable", "too many DPoP proofs to remember right now; try again shortly", "")
	case errors.Is(err, errNoCredential):
		writeError(w, 401, "invalid_token", "an access token is required", "Bearer")
	case errors.Is(err, ErrStale):
		w.Header().Set("Retry-After", "5")
		writeError(w, 503, "unavailable", "revocations cannot be checked right now; try again shortly", "")
	case err != nil && !tokenError(err) && !errors.Is(err, credential.ErrMalformed):
		// DPoPReplay could not answer: whether the proof is fresh is unknown.
		w.Header().Set("Retry-After", "5")
		writeError(w, 503, "unavailable", "DPoP proofs cannot be checked right now; try again shortly", "")
	case errors.Is(err, ErrExpired):
		writeError(w, 401, "token_expired", "the access token has expired", invalid)
	case errors.Is(err, ErrRevoked):
		writeError(w, 401, "token_revoked", "the access token's session has been revoked", invalid)
	default:
		writeError(w, 401, "invalid_token", "the access token is missing or invalid", invalid)
	}
}

// tokenError reports an error about the token itself (as opposed to a
// replay cache that could not be asked).
func tokenError(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrExpired) || errors.Is(err, ErrRevoked) || errors.Is(err, errNoCredential)
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
