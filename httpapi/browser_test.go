package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// cookieLogin logs name in with delivery d and returns the answer.
func (e *env) cookieLogin(name, d string, hdr ...string) resp {
	e.t.Helper()
	return e.do("POST", "/v1/login", "", map[string]string{"username": name, "password": "correct horse battery", "delivery": d}, hdr...)
}

// setCookies parses the Set-Cookie headers of r by name.
func setCookies(r resp) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

func rawSetCookie(t *testing.T, r resp, name string) string {
	t.Helper()
	for _, v := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	t.Fatalf("no Set-Cookie for %s in %q", name, r.header.Values("Set-Cookie"))
	return ""
}

func TestCookieLoginSetsTheCookiesAPIMdNames(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("cookie-a", "correct horse battery")
	r := e.cookieLogin("cookie-a", "cookie")
	expect(t, r, 200, "")
	m := r.json(t)
	for _, k := range []string{"session_id", "device_id", "csrf_token"} {
		if s, _ := m[k].(string); s == "" {
			t.Fatalf("login answer lacks %s: %s", k, r.body)
		}
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		if _, ok := m[k]; ok {
			t.Fatalf("a browser login answer holds %s: %s", k, r.body)
		}
	}
	sess := rawSetCookie(t, r, "__Host-gatehouse")
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(sess, want) {
			t.Errorf("session cookie %q lacks %s", sess, want)
		}
	}
	if strings.Contains(strings.ToLower(sess), "domain=") {
		t.Errorf("session cookie has a Domain: %q", sess)
	}
	dev := rawSetCookie(t, r, "gatehouse_device")
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=34560000"} {
		if !strings.Contains(dev, want) {
			t.Errorf("device cookie %q lacks %s", dev, want)
		}
	}
	c := setCookies(r)
	if v := c["__Host-gatehouse"].Value; len(v) != 86 || v == m["session_id"] {
		t.Fatalf("session cookie value %q: want 256 random bits, distinct from the session id", v)
	}
}

func TestJWTCookieLoginSetsScopedCookies(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.CookieDomain = "example.test" })
	e.signup("jwtc", "correct horse battery")
	r := e.cookieLogin("jwtc", "jwt-cookie")
	expect(t, r, 200, "")
	at := rawSetCookie(t, r, "gatehouse_at")
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Domain=example.test"} {
		if !strings.Contains(at, want) {
			t.Errorf("access cookie %q lacks %s", at, want)
		}
	}
	rt := rawSetCookie(t, r, "gatehouse_rt")
	for _, want := range []string{"Path=/v1/token/refresh", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(rt, want) {
			t.Errorf("refresh cookie %q lacks %s", rt, want)
		}
	}
	if strings.Contains(strings.ToLower(rt), "domain=") {
		t.Errorf("refresh cookie has a Domain: %q", rt)
	}
}

// browserSession is a logged-in cookie session.
type browserSession struct {
	cookie, csrf, session string
}

func (e *env) browser(name, d string) browserSession {
	e.t.Helper()
	e.signup(name, "correct horse battery")
	r := e.cookieLogin(name, d)
	expect(e.t, r, 200, "")
	c := setCookies(r)
	b := browserSession{csrf: r.str(e.t, "csrf_token"), session: r.str(e.t, "session_id")}
	if d == "cookie" {
		b.cookie = "__Host-gatehouse=" + c["__Host-gatehouse"].Value
	} else {
		b.cookie = "gatehouse_at=" + c["gatehouse_at"].Value + "; gatehouse_rt=" + c["gatehouse_rt"].Value
	}
	return b
}

func TestCookieRequestsAndTheirCSRFRules(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	for _, d := range []string{"cookie", "jwt-cookie"} {
		t.Run(d, func(t *testing.T) {
			b := e.browser("csrf-"+d, d)
			other := e.browser("csrf-other-"+d, d)
			expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 200, "")
			r := e.do("GET", "/v1/csrf", "", nil, "Cookie", b.cookie)
			expect(t, r, 200, "")
			if r.str(t, "csrf_token") != b.csrf {
				t.Fatalf("GET /v1/csrf = %s, login said %s", r.body, b.csrf)
			}
			body := map[string]string{"scope": "local"}
			for _, c := range []struct {
				name string
				hdr  []string
			}{
				{"no token", nil},
				{"wrong token", []string{"X-CSRF-Token", flipFirst(b.csrf)}},
				{"another session's token", []string{"X-CSRF-Token", other.csrf}},
				{"cross-site Origin", []string{"X-CSRF-Token", b.csrf, "Origin", "http://evil.test"}},
				{"Origin null", []string{"X-CSRF-Token", b.csrf, "Origin", "null"}},
				{"Sec-Fetch-Site cross-site", []string{"X-CSRF-Token", b.csrf, "Sec-Fetch-Site", "cross-site"}},
				{"Sec-Fetch-Site same-site", []string{"X-CSRF-Token", b.csrf, "Sec-Fetch-Site", "same-site"}},
			} {
				hdr := append([]string{"Cookie", b.cookie}, c.hdr...)
				expect(t, e.do("POST", "/v1/logout", "", body, hdr...), 403, "csrf_failed")
			}
			expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 200, "") // nothing changed
			// a body without a Content-Type is not taken as JSON from a browser
			expect(t, e.do("POST", "/v1/logout", "", `{"scope":"local"}`, "Cookie", b.cookie, "X-CSRF-Token", b.csrf, "Content-Type", ""), 415, "invalid_request")
			r = e.do("POST", "/v1/logout", "", body, "Cookie", b.cookie, "X-CSRF-Token", b.csrf, "Origin", strings.TrimSuffix(e.url, "/"), "Sec-Fetch-Site", "same-origin")
			expect(t, r, 204, "")
			if r.header.Get("Clear-Site-Data") != `"cookies"` {
				t.Errorf("logout without Clear-Site-Data: %q", r.header)
			}
			for _, v := range r.header.Values("Set-Cookie") {
				if !strings.Contains(v, "Max-Age=0") || !strings.Contains(v, "Secure") || !strings.Contains(v, "HttpOnly") {
					t.Errorf("logout cookie %q: want Max-Age=0 with the same attributes", v)
				}
			}
			if len(r.header.Values("Set-Cookie")) < 3 {
				t.Errorf("logout cleared %d cookies: %q", len(r.header.Values("Set-Cookie")), r.header.Values("Set-Cookie"))
			}
			// the very next request on this node is refused
			r = e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie)
			if r.status != 401 {
				t.Fatalf("cookie after logout: %d %s", r.status, r.body)
			}
		})
	}
}

func TestOneCookieOfEachNameAndBearerFirst(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	b := e.browser("dup", "cookie")
	_, p := e.user("bearer-user")
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie+"; "+b.cookie), 401, "invalid_token")
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie+"; __Host-gatehouse=AAAA"), 401, "invalid_token")
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", "__Host-gatehouse= "+strings.TrimPrefix(b.cookie, "__Host-gatehouse=")), 401, "invalid_token")
	// a bearer token, when present, is the only credential looked at
	r := e.do("GET", "/v1/me", p.Access, nil, "Cookie", b.cookie)
	expect(t, r, 200, "")
	if r.json(t)["user"].(map[string]any)["username"] != "bearer-user" {
		t.Fatalf("bearer+cookie authenticated as %s", r.body)
	}
	expect(t, e.do("GET", "/v1/me", "bad.bad.bad", nil, "Cookie", b.cookie), 401, "invalid_token")
	// bearer requests need no CSRF token
	expect(t, e.do("POST", "/v1/logout", p.Access, map[string]string{"scope": "local"}, "Origin", "http://evil.test"), 204, "")
}

func TestCrossSiteCookieLoginIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.example.test"} })
	e.signup("logincsrf", "correct horse battery")
	expect(t, e.cookieLogin("logincsrf", "cookie", "Origin", "http://evil.test"), 403, "csrf_failed")
	expect(t, e.cookieLogin("logincsrf", "jwt-cookie", "Sec-Fetch-Site", "cross-site"), 403, "csrf_failed")
	expect(t, e.cookieLogin("logincsrf", "cookie", "Origin", "https://app.example.test"), 200, "")
	// a bearer login from anywhere is fine: nothing is stored in the browser
	expect(t, e.do("POST", "/v1/login", "", loginBody("logincsrf"), "Origin", "http://evil.test"), 200, "")
}

func TestCORSOnlyForAllowedOrigins(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.example.test"} })
	pre := func(origin string) resp {
		return e.do("OPTIONS", "/v1/me", "", nil, "Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-csrf-token")
	}
	r := pre("https://app.example.test")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.test" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "X-CSRF-Token") {
		t.Fatalf("preflight from an allowed origin: %d %v", r.status, r.header)
	}
	r = pre("https://evil.test")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin allowed: %v", r.header)
	}
	r = e.do("GET", "/healthz", "", nil, "Origin", "https://app.example.test")
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example.test" || !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
		t.Fatalf("simple request from an allowed origin: %v", r.header)
	}
	if r := e.do("GET", "/healthz", "", nil, "Origin", "https://evil.test"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS answer for another origin: %v", r.header)
	}
}

func TestJWTCookieRefreshRotatesBothAndTwoTabsSurvive(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	b := e.browser("tabs", "jwt-cookie")
	e.clock.Add(16 * time.Minute) // the access cookie's token has expired
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 401, "token_expired")
	// a reloaded page learns its CSRF token although its access cookie expired
	at := b.cookie[:strings.Index(b.cookie, ";")]
	r := e.do("GET", "/v1/csrf", "", nil, "Cookie", at)
	expect(t, r, 200, "")
	if r.str(t, "csrf_token") != b.csrf {
		t.Fatalf("GET /v1/csrf with an expired access cookie: %s", r.body)
	}
	rt := b.cookie[strings.Index(b.cookie, "gatehouse_rt="):]
	expect(t, e.do("POST", "/v1/token/refresh", "", "{}", "Cookie", rt), 403, "csrf_failed")
	var wg sync.WaitGroup
	answers := make([]resp, 2)
	for i := range answers {
		wg.Go(func() {
			answers[i] = e.do("POST", "/v1/token/refresh", "", "{}", "Cookie", rt, "X-CSRF-Token", b.csrf)
		})
	}
	wg.Wait()
	for _, r := range answers {
		expect(t, r, 200, "")
		c := setCookies(r)
		if c["gatehouse_at"] == nil || c["gatehouse_rt"] == nil {
			t.Fatalf("refresh did not rotate both cookies: %v", r.header.Values("Set-Cookie"))
		}
		if r.str(t, "csrf_token") != b.csrf {
			t.Fatal("the CSRF token changed at refresh")
		}
		at := "gatehouse_at=" + c["gatehouse_at"].Value
		expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", at), 200, "")
	}
}

func TestCookieReauthRenewsSessionIDAndCookie(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	b := e.browser("renew", "cookie")
	r := e.do("POST", "/v1/reauth", "", map[string]string{"password": "correct horse battery"}, "Cookie", b.cookie, "X-CSRF-Token", b.csrf)
	expect(t, r, 200, "")
	c := setCookies(r)
	next := "__Host-gatehouse=" + c["__Host-gatehouse"].Value
	if next == b.cookie || r.str(t, "session_id") == b.session || r.str(t, "csrf_token") == b.csrf {
		t.Fatalf("reauth kept the session id, cookie or CSRF token: %s", r.body)
	}
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", next), 200, "")
}

func TestCookieSessionSlidesAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.IdleTimeout = 10 * time.Minute })
	b := e.browser("slider", "cookie")
	for range 5 { // used every 9 minutes: never idle for 10
		e.clock.Add(9 * time.Minute)
		expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 200, "")
	}
	e.clock.Add(11 * time.Minute)
	expect(t, e.do("GET", "/v1/me", "", nil, "Cookie", b.cookie), 401, "session_expired")
}

// flipFirst changes the first character of s, so the result never equals s.
func flipFirst(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}
