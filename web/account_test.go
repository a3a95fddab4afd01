package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAccountNeedsASession: without a (valid) session cookie the account
// page, the re-prompt and every form lead to the login page, which comes
// back.
func TestAccountNeedsASession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	v := e.visitor()
	wantRedirect(t, v.get("/account"), "/login?return_to=%2Faccount")
	wantRedirect(t, v.get("/reauth?return_to=%2Faccount"), "/login?return_to=%2Freauth%3Freturn_to%3D%252Faccount")
	wantRedirect(t, v.post("/account/logout", url.Values{}), "/login?return_to=%2Faccount")
	v.cookies["__Host-gatehouse"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	wantRedirect(t, v.get("/account"), "/login?return_to=%2Faccount")
}

// TestLogoutOthersStepUp: "log out all other devices" with a stale login
// sends the user to /reauth; the re-prompt renews the session cookie (the
// old one is refused from then on) and comes back; then it works.
func TestLogoutOthersStepUp(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	a, b := e.visitor(), e.visitor()
	a.login("alice")
	b.login("alice")
	e.clock.Add(11 * time.Minute) // past --reauth-max-age (10m)

	wantRedirect(t, a.post("/account/logout-others", url.Values{"csrf_token": {a.csrf()}}), "/reauth?return_to=%2Faccount")
	want(t, b.get("/account"), http.StatusOK)

	page := a.get("/reauth?return_to=%2Faccount")
	want(t, page, http.StatusOK)
	if !strings.Contains(page.body, `autocomplete="current-password"`) || !strings.Contains(page.body, `name="return_to" value="/account"`) {
		t.Fatalf("re-prompt form: %s", page.body)
	}
	token := csrfField.FindStringSubmatch(page.body)[1]
	want(t, a.post("/reauth", url.Values{"csrf_token": {token}, "password": {"not the password"}, "return_to": {"/account"}}), http.StatusUnauthorized)

	old := a.cookies["__Host-gatehouse"]
	r := a.post("/reauth", url.Values{"csrf_token": {token}, "password": {password}, "return_to": {"/account"}})
	wantRedirect(t, r, "/account?notice=reauth")
	if renewed := a.cookies["__Host-gatehouse"]; renewed == "" || renewed == old {
		t.Fatal("reauth did not set a new session cookie")
	}
	stale := e.visitor()
	stale.cookies["__Host-gatehouse"] = old
	wantRedirect(t, stale.get("/account"), "/login?return_to=%2Faccount")

	wantRedirect(t, a.post("/account/logout-others", url.Values{"csrf_token": {a.csrf()}}), "/account?notice=others")
	want(t, a.get("/account"), http.StatusOK)
	wantRedirect(t, b.get("/account"), "/login?return_to=%2Faccount")
}

// TestEndOneDevice: ending another device needs a fresh login (fresh right
// after logging in), and ends only that one.
func TestEndOneDevice(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	a, b, c := e.visitor(), e.visitor(), e.visitor()
	b.ua = "SecondBrowser/2"
	b.login("alice")
	c.login("alice")
	a.login("alice")
	page := a.get("/account")
	i := strings.Index(page.body, "SecondBrowser/2")
	if i < 0 {
		t.Fatalf("the account page does not list the other device: %s", page.body)
	}
	action := strings.Index(page.body[i:], `action="/account/sessions/`)
	id := page.body[i+action+len(`action="/account/sessions/`):]
	id = id[:strings.Index(id, "/")]
	wantRedirect(t, a.post("/account/sessions/"+id+"/end", url.Values{"csrf_token": {a.csrf()}}), "/account?notice=ended")
	wantRedirect(t, b.get("/account"), "/login?return_to=%2Faccount")
	want(t, c.get("/account"), http.StatusOK)
	want(t, a.get("/account"), http.StatusOK)
}

// TestChangePassword: a wrong current password re-renders the page with
// the reason; the right one changes it and logs the other devices out.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	a, b := e.visitor(), e.visitor()
	a.login("alice")
	b.login("alice")
	r := a.post("/account/password", url.Values{"csrf_token": {a.csrf()}, "current_password": {"wrong guess"}, "new_password": {"a brand new password"}})
	want(t, r, http.StatusUnauthorized)
	if !strings.Contains(r.body, `role="alert"`) {
		t.Fatal("no reason shown")
	}
	r = a.post("/account/password", url.Values{"csrf_token": {a.csrf()}, "current_password": {password}, "new_password": {"short"}})
	want(t, r, http.StatusBadRequest)
	r = a.post("/account/password", url.Values{"csrf_token": {a.csrf()}, "current_password": {password}, "new_password": {"a brand new password"}})
	wantRedirect(t, r, "/account?notice=password")
	want(t, a.get("/account?notice=password"), http.StatusOK)
	wantRedirect(t, b.get("/account"), "/login?return_to=%2Faccount")
	want(t, e.visitor().post("/login", url.Values{"username": {"alice"}, "password": {password}}), http.StatusUnauthorized)
	wantRedirect(t, e.visitor().post("/login", url.Values{"username": {"alice"}, "password": {"a brand new password"}}), "/account")
}

// TestUserAgentIsEscaped: a user agent is data, never markup.
func TestUserAgentIsEscaped(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	v := e.visitor()
	v.ua = `<script>alert(1)</script><img src=x onerror=alert(2)>"'`
	v.login("alice")
	page := v.get("/account")
	want(t, page, http.StatusOK)
	if strings.Contains(page.body, "<script") || strings.Contains(page.body, "<img") {
		t.Fatalf("user agent not escaped: %s", page.body)
	}
	if !strings.Contains(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("escaped user agent not shown: %s", page.body)
	}
}

// TestSignupPage: the form creates the account and signs the user in.
func TestSignupPage(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	v := e.visitor()
	r := v.post("/signup", url.Values{"username": {"newbie"}, "password": {"a long enough password"}, "return_to": {"/account?welcome=1"}})
	wantRedirect(t, r, "/account?welcome=1")
	want(t, v.get("/account"), http.StatusOK)
	want(t, e.visitor().post("/signup", url.Values{"username": {"newbie"}, "password": {"a long enough password"}}), http.StatusConflict)
	want(t, e.visitor().post("/signup", url.Values{"username": {"x"}, "password": {"a long enough password"}}), http.StatusBadRequest)
	want(t, e.visitor().post("/signup", url.Values{"username": {"other"}, "password": {"a long enough password"}}, "Origin", "https://evil.test"), http.StatusForbidden)
}
