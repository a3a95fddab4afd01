package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/reqauth"
)

// authenticate resolves the request's credential by the API's rules.
func (g *Gateway) authenticate(r *http.Request) (*authn.Principal, error) {
	return reqauth.Authenticate(g.svc, r, g.sessionCookie)
}

// csrf applies the API's CSRF rules to a cookie-authenticated request. A
// WebSocket handshake is a GET, but it opens a two-way channel with the
// user's cookie that the same-origin policy does not guard (cross-site
// WebSocket hijacking): its Origin must pass like an unsafe method's.
func (g *Gateway) csrf(r *http.Request, p *authn.Principal) error {
	if p.ByHeader() {
		return nil
	}
	if r.Header.Get("Upgrade") != "" {
		return g.origins.SameSite(r, g.self(r))
	}
	if !browser.Unsafe(r.Method) {
		return nil
	}
	if err := g.origins.SameSite(r, g.self(r)); err != nil {
		return err
	}
	return browser.CheckToken(r, p.CSRF)
}

// wantsLogin reports whether a failed authentication should become a
// redirect to the login page: a GET or HEAD that accepts text/html, on a
// route that allows it.
func wantsLogin(r *http.Request, rt *route) bool {
	if !rt.redirect || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "text/html") {
				return true
			}
		}
	}
	return false
}

// loginURL is /login?return_to=<the original path and query>.
func loginURL(r *http.Request) string {
	return "/login?return_to=" + url.QueryEscape(r.URL.RequestURI())
}
