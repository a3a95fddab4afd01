package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestLoginSetsCookiesAndReturns: the form logs in in cookie mode, sets
// the session and device cookies with API.md's attributes, and answers 303
// to return_to.
func TestLoginSetsCookiesAndReturns(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	v := e.visitor()
	r := v.post("/login", url.Values{"username": {"alice"}, "password": {password}, "return_to": {"/account?tab=devices"}})
	wantRedirect(t, r, "/account?tab=devices")
	got := map[string]*http.Cookie{}
	for _, c := range r.set {
		got[c.Name] = c
	}
	for _, name := range []string{"__Host-gatehouse", "gatehouse_device"} {
		c := got[name]
		if c == nil {
			t.Fatalf("no %s cookie; Set-Cookie %q", name, r.header.Values("Set-Cookie"))
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("%s attributes: %+v", name, c)
		}
	}
	page := v.get("/account?tab=devices")
	want(t, page, http.StatusOK)
	if !strings.Contains(page.body, "alice") {
		t.Fatal("the account page does not name the user")
	}
}

// TestLoginRefusals: wrong passwords re-render the form (no cookie), and
// a login form posted from another site is refused (login CSRF).
func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	cases := []struct {
		name   string
		form   url.Values
		hdr    []string
		status int
	}{
		{"wrong password", url.Values{"username": {"alice"}, "password": {"wrong password!"}}, nil, http.StatusUnauthorized},
		{"empty password", url.Values{"username": {"alice"}, "password": {""}}, nil, http.StatusBadRequest},
		{"cross-site Origin", url.Values{"username": {"alice"}, "password": {password}}, []string{"Origin", "https://evil.test", "Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"Origin null", url.Values{"username": {"alice"}, "password": {password}}, []string{"Origin", "null"}, http.StatusForbidden},
		{"Sec-Fetch-Site cross-site", url.Values{"username": {"alice"}, "password": {password}}, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"no provenance headers", url.Values{"username": {"alice"}, "password": {password}}, []string{"Origin", "", "Sec-Fetch-Site", ""}, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := e.visitor()
			r := v.post("/login", c.form, c.hdr...)
			want(t, r, c.status)
			if len(r.set) != 0 {
				t.Fatalf("a refused login set cookies: %q", r.header.Values("Set-Cookie"))
			}
			if !strings.Contains(r.body, `role="alert"`) {
				t.Fatalf("no error message shown: %s", r.body)
			}
		})
	}
}

// TestReturnToHostileValuesLandOnAccount: return_to is honoured only for
// a path of this server or an --allowed-origins URL; anything else, in
// the form or in the query, leads to /account and is not echoed.
func TestReturnToHostileValuesLandOnAccount(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.test"} })
	e.user("alice")
	cases := []struct{ returnTo, location string }{
		{"//evil.test", "/account"},
		{"///evil.test", "/account"},
		{`/\evil.test`, "/account"},
		{`\\evil.test`, "/account"},
		{"https:evil.test", "/account"},
		{"https://evil.test", "/account"},
		{"https://evil.test/account", "/account"},
		{"%2F%2Fevil.test", "/account"},
		{"/%2F/evil.test", "/account"},
		{"/%5C/evil.test", "/%5C/evil.test"}, // a path: browsers do not decode %5C into a separator
		{"javascript:alert(1)", "/account"},
		{"JavaScript:alert(1)", "/account"},
		{"data:text/html,x", "/account"},
		{"http://127.0.0.1.evil.test", "/account"},
		{"https://app.test.evil.test/", "/account"},
		{"https://app.test@evil.test/", "/account"},
		{"https://user@app.test/", "/account"},
		{"\t//evil.test", "/account"},
		{"/\t/evil.test", "/account"},
		{" //evil.test", "/account"},
		{"/\r\nSet-Cookie: x=1", "/account"},
		{"evil.test", "/account"},
		{"/" + strings.Repeat("a", 5000), "/account"},
		{"", "/account"},
		{"https://app.test/after?x=1", "https://app.test/after?x=1"},
		{"/account?tab=devices", "/account?tab=devices"},
	}
	for _, c := range cases {
		t.Run(c.returnTo, func(t *testing.T) {
			v := e.visitor()
			r := v.post("/login", url.Values{"username": {"alice"}, "password": {password}, "return_to": {c.returnTo}})
			wantRedirect(t, r, c.location)
			page := v.get("/login?return_to=" + url.QueryEscape(c.returnTo))
			want(t, page, http.StatusOK)
			echoed := strings.Contains(page.body, `name="return_to"`)
			if echoed != (c.location != "/account") {
				t.Fatalf("return_to echoed into the form: %v, want %v", echoed, !echoed)
			}
		})
	}
}

// TestSessionLimitChoice: with --max-sessions 1 --session-overflow reject,
// a second browser's login shows the choice page; picking the first
// browser's device logs it out and this one in; the choice is one-time.
func TestSessionLimitChoice(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions, c.SessionOverflow = 1, "reject" })
	e.user("alice")
	first := e.visitor()
	first.ua = "FirstBrowser/1.0"
	first.login("alice")
	want(t, first.get("/account"), http.StatusOK)

	second := e.visitor()
	second.lang = "ko"
	r := second.post("/login", url.Values{"username": {"alice"}, "password": {password}, "return_to": {"/account?from=choice"}})
	want(t, r, http.StatusConflict)
	if len(r.set) != 0 || !strings.Contains(r.body, "FirstBrowser/1.0") || !strings.Contains(r.body, `lang="ko"`) {
		t.Fatalf("choice page: cookies %q, body %s", r.header.Values("Set-Cookie"), r.body)
	}
	challenge := regexp.MustCompile(`name="login_challenge" value="([^"]+)"`).FindStringSubmatch(r.body)
	end := regexp.MustCompile(`name="end_session_id" value="([^"]+)"`).FindStringSubmatch(r.body)
	if challenge == nil || end == nil {
		t.Fatalf("choice page lacks the challenge or the choices: %s", r.body)
	}
	form := url.Values{"login_challenge": {challenge[1]}, "end_session_id": {end[1]}, "return_to": {"/account?from=choice"}}
	want(t, second.post("/login/resolve", form, "Origin", "https://evil.test"), http.StatusForbidden)
	wantRedirect(t, second.post("/login/resolve", form), "/account?from=choice")
	want(t, second.get("/account"), http.StatusOK)
	wantRedirect(t, first.get("/account"), "/login?return_to=%2Faccount")

	again := e.visitor().post("/login/resolve", form)
	want(t, again, http.StatusUnauthorized)
	if len(again.set) != 0 {
		t.Fatal("a spent challenge set cookies")
	}
}

// TestLoginEndsThePreviousSession: a login from a browser that still held
// another session (another account's) ends that session: its cookie is
// overwritten, so it must not live on unseen.
func TestLoginEndsThePreviousSession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	e.user("bob")
	v := e.visitor()
	v.login("alice")
	alice := v.cookies["__Host-gatehouse"]
	v.login("bob")
	if v.cookies["__Host-gatehouse"] == alice {
		t.Fatal("the session cookie was not replaced")
	}
	stale := e.visitor()
	stale.cookies["__Host-gatehouse"] = alice
	wantRedirect(t, stale.get("/account"), "/login?return_to=%2Faccount")
	page := v.get("/account")
	want(t, page, http.StatusOK)
	if !strings.Contains(page.body, "<strong>bob</strong>") {
		t.Fatal("not logged in as bob")
	}
}
