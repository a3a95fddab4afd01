package browser

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// CSRFHeader carries the session's CSRF token on unsafe cookie requests.
const CSRFHeader = "X-CSRF-Token"

// ErrCSRF is every refusal of a cookie request's cross-site checks: 403
// csrf_failed.
var ErrCSRF = errors.New("browser: cross-site request refused")

// Origins decides which origins may act with the user's cookies: the
// server's own (scheme and Host of the request) and --allowed-origins.
type Origins struct {
	allowed map[string]bool
}

// NewOrigins takes --allowed-origins (scheme://host[:port], validated by
// config); a trailing slash is ignored.
func NewOrigins(list []string) *Origins {
	o := &Origins{allowed: make(map[string]bool, len(list))}
	for _, s := range list {
		o.allowed[strings.ToLower(strings.TrimSuffix(s, "/"))] = true
	}
	return o
}

// Allowed reports whether origin is one of --allowed-origins.
func (o *Origins) Allowed(origin string) bool { return o.allowed[strings.ToLower(origin)] }

// Self is the request's own origin: scheme (https when the request came
// over TLS, or when secure says a trusted proxy terminated it) and Host.
func Self(r *http.Request, secure bool) string {
	scheme := "http"
	if r.TLS != nil || secure {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// SameSite checks the request's provenance headers: an Origin must be the
// server's own or an allowed one (Origin "null", from sandboxed frames and
// some redirects, never is); without Origin, a Sec-Fetch-Site must be
// same-origin or none. A request with neither (not from a modern browser,
// or a same-origin GET) passes: for unsafe methods the CSRF token is still
// required.
func (o *Origins) SameSite(r *http.Request, self string) error {
	if vs := r.Header.Values("Origin"); len(vs) > 0 {
		if len(vs) != 1 {
			return ErrCSRF
		}
		origin := strings.ToLower(vs[0])
		if origin == self || o.Allowed(origin) {
			return nil
		}
		return ErrCSRF
	}
	switch site := r.Header.Values("Sec-Fetch-Site"); {
	case len(site) == 0:
		return nil
	case len(site) == 1 && (site[0] == "same-origin" || site[0] == "none"):
		return nil
	default:
		return ErrCSRF
	}
}

// Unsafe reports whether method changes state (and so needs the CSRF
// token when a cookie authenticates it).
func Unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// CheckToken compares the request's one X-CSRF-Token header with want in
// constant time.
func CheckToken(r *http.Request, want string) error {
	vs := r.Header.Values(CSRFHeader)
	if len(vs) != 1 || want == "" || subtle.ConstantTimeCompare([]byte(vs[0]), []byte(want)) != 1 {
		return ErrCSRF
	}
	return nil
}

// SafeReturn reports whether to is a place a page may send the user back
// to after login: a path on this server ("/account?x=1", never "//host",
// "/\host" or anything with a scheme), or a URL on an allowed origin.
func (o *Origins) SafeReturn(to string) bool {
	if to == "" || len(to) > 2048 || strings.ContainsAny(to, "\\\x00\r\n\t") {
		return false
	}
	if strings.HasPrefix(to, "/") {
		if strings.HasPrefix(to, "//") {
			return false
		}
		u, err := url.Parse(to)
		return err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
	}
	u, err := url.Parse(to)
	if err != nil || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return o.Allowed(u.Scheme + "://" + u.Host)
}
