package web

import (
	"net/http"
	"strings"
)

// basePolicy allows the pages nothing but their own stylesheet and forms:
// no script at all, no inline style, no framing (clickjacking), no <base>.
const basePolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// contentSecurityPolicy is basePolicy, with --allowed-origins added to
// form-action: browsers apply form-action to the redirect that follows a
// form post, so a login that returns to an allowed origin would otherwise
// be blocked.
func contentSecurityPolicy(allowed []string) string {
	var extra []string
	for _, o := range allowed {
		o = strings.TrimSuffix(o, "/")
		if o != "" && !strings.ContainsAny(o, " ;,'\"\r\n\t") { // config validated them; never let one break the header
			extra = append(extra, o)
		}
	}
	if len(extra) == 0 {
		return basePolicy
	}
	return strings.Replace(basePolicy, "form-action 'self'", "form-action 'self' "+strings.Join(extra, " "), 1)
}

// securityHeaders go on every answer of the pages.
func (p *pages) securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// noStore keeps pages that show a user's data, or answer a form, out of
// every cache (and the back-forward cache).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}
