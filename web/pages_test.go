package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/web/static"
)

// TestEveryPageInBothLanguages renders each page for an English and a
// Korean browser.
func TestEveryPageInBothLanguages(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	langs := []struct{ header, lang, word string }{
		{"en-US,en;q=0.9", "en", "Log in"},
		{"ko-KR,ko;q=0.9,en;q=0.8", "ko", "로그인"},
	}
	for _, l := range langs {
		v := e.visitor()
		v.lang = l.header
		pages := []string{"/login", "/signup", "/login?notice=logged_out"}
		for _, p := range pages {
			checkPage(t, v.get(p), l.lang, l.word)
		}
		v.login("alice")
		for _, p := range []string{"/account", "/reauth?return_to=%2Faccount", "/account?notice=others"} {
			checkPage(t, v.get(p), l.lang, "")
		}
		checkPage(t, v.post("/login", url.Values{"username": {"alice"}, "password": {"wrong password!"}}), l.lang, l.word)
		checkPage(t, v.post("/account/logout", url.Values{}, "Origin", "https://evil.test"), l.lang, "")
		checkPage(t, v.get("/account/nothing"), l.lang, "")
	}
}

func checkPage(t *testing.T, r resp, lang, word string) {
	t.Helper()
	switch r.status {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
	default:
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if !strings.Contains(r.body, `<html lang="`+lang+`">`) || r.header.Get("Content-Language") != lang {
		t.Fatalf("want lang %s: Content-Language %q, body %.300s", lang, r.header.Get("Content-Language"), r.body)
	}
	if word != "" && !strings.Contains(r.body, word) {
		t.Fatalf("%q missing from the %s page", word, lang)
	}
	if r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
}

// TestSecurityHeadersOnEveryAnswer: every answer of the pages carries the
// strict CSP and friends; pages and form answers are never stored.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	v := e.visitor()
	answers := map[string]resp{
		"GET /login":             v.get("/login"),
		"GET /signup":            v.get("/signup"),
		"GET /account (no user)": v.get("/account"),
		"GET /static/style.css":  v.get("/static/style.css"),
		"GET /account/nothing":   v.get("/account/nothing"),
		"PUT /login":             v.do("PUT", "/login", nil),
		"POST /login (refused)":  v.post("/login", url.Values{"username": {"alice"}}, "Origin", "https://evil.test"),
		"POST /login":            v.login("alice"),
	}
	answers["GET /account"] = v.get("/account")
	answers["GET /reauth"] = v.get("/reauth")
	answers["POST /account/logout"] = v.post("/account/logout", url.Values{"csrf_token": {v.csrf()}})
	for name, r := range answers {
		h := r.header
		if got := h.Get("Content-Security-Policy"); got != "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" {
			t.Errorf("%s: Content-Security-Policy %q", name, got)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s %q", name, k, h.Get(k))
			}
		}
		if name != "GET /static/style.css" && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, h.Get("Cache-Control"))
		}
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, " style=") {
			t.Errorf("%s: inline script or style", name)
		}
	}
	if r := answers["PUT /login"]; r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Errorf("PUT /login: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	if r := answers["GET /static/style.css"]; r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := answers["GET /account/nothing"]; r.status != http.StatusNotFound {
		t.Errorf("GET /account/nothing: %d", r.status)
	}
}

// TestAllowedOriginsJoinFormAction: browsers apply form-action to the
// redirect after a form, so a return_to on an allowed origin must be in it.
func TestAllowedOriginsJoinFormAction(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.test", "http://localhost:3000"} })
	got := e.visitor().get("/login").header.Get("Content-Security-Policy")
	if !strings.Contains(got, "form-action 'self' https://app.test http://localhost:3000;") {
		t.Fatalf("Content-Security-Policy %q", got)
	}
}

// TestUIOff: --ui=false leaves the page paths to the JSON API (404).
func TestUIOff(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.UI = false })
	v := e.visitor()
	for _, p := range []string{"/login", "/signup", "/account", "/reauth", "/static/style.css"} {
		r := v.get(p)
		if r.status != http.StatusNotFound || !strings.Contains(r.body, `"error":"not_found"`) {
			t.Fatalf("%s with --ui=false: %d %s", p, r.status, r.body)
		}
	}
	r := v.post("/login", url.Values{"username": {"a"}})
	if r.status != http.StatusNotFound {
		t.Fatalf("POST /login with --ui=false: %d", r.status)
	}
}

// TestAPIStillServedWithUI: the pages own their paths only.
func TestAPIStillServedWithUI(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	v := e.visitor()
	want(t, v.get("/healthz"), http.StatusOK)
	r := v.get("/v1/me")
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "invalid_token") {
		t.Fatalf("/v1/me: %d %s", r.status, r.body)
	}
	if r := v.get("/login/other"); r.status != http.StatusNotFound || !strings.Contains(r.body, `"not_found"`) {
		t.Fatalf("/login/other: %d %s", r.status, r.body)
	}
	want(t, v.get("/login"), http.StatusOK)
	if m := v.get("/metrics"); !strings.Contains(m.body, `gatehouse_http_request_duration_seconds_count{code="200",method="GET",route="/login"} 1`) {
		t.Fatal("page answers are not in the request metrics")
	}
}

// TestSignupClosed: with --signup=false the page says so and the login
// page does not offer it.
func TestSignupClosed(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.Signup = false })
	v := e.visitor()
	want(t, v.get("/signup"), http.StatusForbidden)
	if strings.Contains(v.get("/login").body, `href="/signup`) {
		t.Fatal("the login page links to a closed signup")
	}
	want(t, v.post("/signup", url.Values{"username": {"newbie"}, "password": {"a long enough password"}}), http.StatusForbidden)
}

func TestGatehouseJSIsServed(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	r := e.visitor().get("/gatehouse.js")
	want(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if r.body != string(static.GatehouseJS) {
		t.Fatal("/gatehouse.js is not the embedded module")
	}
}
