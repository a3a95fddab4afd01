package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/authn"
)

// TestFormCSRF: every signed-in form needs the session's csrf_token and a
// same-origin provenance (Origin or Sec-Fetch-Site present and ours);
// each refusal is a 403 page and changes nothing.
func TestFormCSRF(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	e.user("mallory")
	attacker := e.visitor()
	attacker.login("mallory")
	otherToken := attacker.csrf()

	attacks := []struct {
		name  string
		token func(own string) string
		hdr   []string
	}{
		{"no csrf_token", func(string) string { return "" }, nil},
		{"wrong csrf_token", func(string) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, nil},
		{"another session's csrf_token", func(string) string { return otherToken }, nil},
		{"cross-site Origin", func(own string) string { return own }, []string{"Origin", "https://evil.test", "Sec-Fetch-Site", "cross-site"}},
		{"same-site other origin", func(own string) string { return own }, []string{"Origin", "http://127.0.0.2:9", "Sec-Fetch-Site", "same-site"}},
		{"Origin null", func(own string) string { return own }, []string{"Origin", "null"}},
		{"Sec-Fetch-Site cross-site without Origin", func(own string) string { return own }, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
		{"neither Origin nor Sec-Fetch-Site", func(own string) string { return own }, []string{"Origin", "", "Sec-Fetch-Site", ""}},
	}
	actions := []struct {
		path string
		form url.Values
	}{
		{"/account/logout", url.Values{}},
		{"/account/logout-others", url.Values{}},
		{"/account/password", url.Values{"current_password": {password}, "new_password": {"a brand new password"}}},
		{"/reauth", url.Values{"password": {password}}},
	}
	for _, a := range actions {
		for _, c := range attacks {
			t.Run(a.path+"/"+c.name, func(t *testing.T) {
				victim, other := e.visitor(), e.visitor()
				victim.login("alice")
				other.login("alice")
				form := url.Values{}
				for k, v := range a.form {
					form[k] = v
				}
				if tok := c.token(victim.csrf()); tok != "" {
					form.Set("csrf_token", tok)
				}
				cookie := victim.cookies["__Host-gatehouse"]
				r := victim.post(a.path, form, c.hdr...)
				want(t, r, http.StatusForbidden)
				if len(r.set) != 0 {
					t.Fatalf("a refused form set cookies: %q", r.header.Values("Set-Cookie"))
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("Cache-Control %q", r.header.Get("Cache-Control"))
				}
				// Nothing changed: both sessions live, the cookie is the
				// same, the password is the old one.
				if victim.cookies["__Host-gatehouse"] != cookie {
					t.Fatal("the session cookie changed")
				}
				want(t, victim.get("/account"), http.StatusOK)
				want(t, other.get("/account"), http.StatusOK)
				if _, err := e.app.Service.Login(context.Background(), authn.LoginInput{Username: "alice", Password: password}); err != nil {
					t.Fatalf("the old password no longer works: %v", err)
				}
			})
		}
	}
}

// TestFormWithTokenAndOneProvenanceHeaderPasses: the same-origin form of
// a browser that sends only Sec-Fetch-Site (or only Origin) works.
func TestFormWithTokenAndOneProvenanceHeaderPasses(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	for _, hdr := range [][]string{{"Origin", ""}, {"Sec-Fetch-Site", ""}} {
		v := e.visitor()
		v.login("alice")
		r := v.post("/account/logout", url.Values{"csrf_token": {v.csrf()}}, hdr...)
		wantRedirect(t, r, "/login?notice=logged_out")
		if _, ok := v.cookies["__Host-gatehouse"]; ok {
			t.Fatal("logout did not clear the session cookie")
		}
		if r.header.Get("Clear-Site-Data") != `"cookies"` {
			t.Fatalf("Clear-Site-Data %q", r.header.Get("Clear-Site-Data"))
		}
	}
}

// TestFormBodyHasOneSpelling: a repeated field or another content type is
// refused before anything happens.
func TestFormBodyHasOneSpelling(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.user("alice")
	v := e.visitor()
	r := v.do("POST", "/login", stringsReader("username=alice&username=bob&password=x"))
	want(t, r, http.StatusBadRequest)
	r = v.do("POST", "/login", stringsReader(`{"username":"alice"}`), "Content-Type", "application/json")
	want(t, r, http.StatusBadRequest)
}
