package gateway

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
)

// stripped reports whether a client-sent header must not reach the
// upstream: Authorization, DPoP (the proof was for the gateway and is
// spent), X-CSRF-Token and every X-Auth-* whatever its casing; also with
// underscores for dashes, which CGI-style upstreams (PHP, WSGI, Rack) map
// to the same HTTP_X_AUTH_USER_ID variable.
func stripped(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return n == "authorization" || n == "dpop" || n == "x-csrf-token" || strings.HasPrefix(n, "x-auth-")
}

// stripClient removes every header stripped() names, every spelling and
// every repetition (Go canonicalises keys it can, but a key it cannot, with
// a space or other odd byte, stays as sent), and Gatehouse's own cookies
// from Cookie: upstreams never see the session.
func stripClient(h http.Header, sessionCookie string) {
	for k := range h {
		if stripped(k) {
			delete(h, k)
		}
	}
	cookies := h.Values("Cookie")
	if len(cookies) == 0 {
		return
	}
	var kept []string
	for _, line := range cookies {
		for _, part := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if isGatehouseCookie(name, sessionCookie) || strings.TrimSpace(part) == "" {
				continue
			}
			kept = append(kept, strings.TrimSpace(part))
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
}

func isGatehouseCookie(name, session string) bool {
	switch name {
	case session, browser.SessionCookie, browser.InsecureSessionCookie, browser.AccessCookie, browser.RefreshCookie, browser.DeviceCookie:
		return true
	}
	return false
}

// setIdentity adds the minted token and the X-Auth-* headers of
// GET /v1/verify (X-Auth-Roles present and empty for a user without roles).
func setIdentity(h http.Header, p *authn.Principal, tok string) {
	h.Set("Authorization", "Bearer "+tok)
	h.Set("X-Auth-User-Id", p.UserID)
	h.Set("X-Auth-Username", p.Username)
	h.Set("X-Auth-Roles", strings.Join(p.Roles, ","))
	h.Set("X-Auth-Session-Id", p.SessionID)
}
