package browser

import "net/http"

// CORS answers cross-origin requests from --allowed-origins only: with
// credentials, the exact origin (never "*"), and Vary: Origin on every
// answer so a cache never hands one origin's answer to another.
type CORS struct {
	Origins *Origins
}

const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders = "Content-Type, X-CSRF-Token, Authorization, DPoP"
	corsMaxAge  = "600"
)

// Headers adds the CORS answer headers for r's Origin, if allowed. It
// reports whether the origin is allowed.
func (c CORS) Headers(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !c.Origins.Allowed(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate, X-Request-Id, DPoP-Nonce")
	return true
}

// Preflight reports whether r is a CORS preflight, and answers it: 204 with
// the allowed methods and headers for an allowed origin, 204 without any
// CORS header (the browser then refuses) for any other.
func (c CORS) Preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if c.Headers(w, r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}
