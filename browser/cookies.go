package browser

import (
	"net/http"
	"time"
)

// Cookie names (API.md, Browser mode). The session cookie carries the
// __Host- prefix, so browsers accept it only with Secure, Path=/ and no
// Domain: a sibling subdomain cannot plant or overwrite it.
const (
	SessionCookie = "__Host-gatehouse"
	// InsecureSessionCookie replaces SessionCookie under --insecure-cookies
	// (plain http on a host other than localhost): browsers refuse the
	// __Host- prefix without Secure.
	InsecureSessionCookie = "gatehouse"
	DeviceCookie          = "gatehouse_device"
	AccessCookie          = "gatehouse_at"
	RefreshCookie         = "gatehouse_rt"
	// RefreshPath scopes the refresh cookie: no resource server, and no
	// other Gatehouse endpoint, ever receives it.
	RefreshPath = "/v1/token/refresh"
	// DeviceMaxAge is the device cookie's lifetime (400 days, the most
	// Chromium keeps a cookie).
	DeviceMaxAge = 400 * 24 * time.Hour
)

// Cookies sets and clears Gatehouse's cookies with one set of attributes.
type Cookies struct {
	// Insecure drops Secure (and so the __Host- prefix): development on a
	// plain-http host other than localhost only.
	Insecure bool
	// Domain is the jwt-cookie mode access cookie's Domain (--cookie-domain),
	// so resource servers on sibling hosts receive it; empty: host-only.
	Domain string
}

// SessionName is the session cookie's name under these settings.
func (c Cookies) SessionName() string {
	if c.Insecure {
		return InsecureSessionCookie
	}
	return SessionCookie
}

func (c Cookies) cookie(name, value, path string, maxAge time.Duration, same http.SameSite) *http.Cookie {
	k := &http.Cookie{
		Name: name, Value: value, Path: path, HttpOnly: true, Secure: !c.Insecure, SameSite: same,
		MaxAge: int(maxAge / time.Second),
	}
	if maxAge <= 0 {
		k.MaxAge = -1 // Max-Age=0 on the wire: delete now
	}
	return k
}

// SetSession sets the session cookie (HttpOnly; Secure; SameSite=Lax;
// Path=/; no Domain) for maxAge.
func (c Cookies) SetSession(w http.ResponseWriter, secret string, maxAge time.Duration) {
	http.SetCookie(w, c.cookie(c.SessionName(), secret, "/", max(maxAge, time.Second), http.SameSiteLaxMode))
}

// SetDevice sets the device cookie (not a credential: it names which
// session a login replaces).
func (c Cookies) SetDevice(w http.ResponseWriter, id string) {
	http.SetCookie(w, c.cookie(DeviceCookie, id, "/", DeviceMaxAge, http.SameSiteLaxMode))
}

// SetTokens sets the jwt-cookie mode's access cookie (SameSite=Lax, Path=/,
// Domain from --cookie-domain) and refresh cookie (SameSite=Strict, scoped
// to the refresh endpoint). Both live as long as the refresh token: an
// expired access token must still reach the server, which answers
// token_expired so the page refreshes (an absent cookie would look like a
// logout).
func (c Cookies) SetTokens(w http.ResponseWriter, access, refresh string, maxAge time.Duration) {
	maxAge = max(maxAge, time.Second)
	at := c.cookie(AccessCookie, access, "/", maxAge, http.SameSiteLaxMode)
	at.Domain = c.Domain
	http.SetCookie(w, at)
	http.SetCookie(w, c.cookie(RefreshCookie, refresh, RefreshPath, maxAge, http.SameSiteStrictMode))
}

// Clear deletes the session and token cookies with the attributes they
// were set with, and asks the browser to drop every cookie of this origin
// (Clear-Site-Data). The device cookie stays: it is not a credential.
func (c Cookies) Clear(w http.ResponseWriter) {
	http.SetCookie(w, c.cookie(c.SessionName(), "", "/", 0, http.SameSiteLaxMode))
	at := c.cookie(AccessCookie, "", "/", 0, http.SameSiteLaxMode)
	at.Domain = c.Domain
	http.SetCookie(w, at)
	http.SetCookie(w, c.cookie(RefreshCookie, "", RefreshPath, 0, http.SameSiteStrictMode))
	w.Header().Set("Clear-Site-Data", `"cookies"`)
}
