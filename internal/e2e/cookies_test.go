package e2e_test

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// scope is where a cookie goes: its path and SameSite.
type scope struct {
	path string
	same network.CookieSameSite
}

// A cookie login leaves only HttpOnly, Secure, SameSite cookies that no
// script can read, with API.md's names, paths and the __Host- rules.
func TestCookiesAsTheBrowserStoresThem(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	for _, delivery := range []string{"cookie", "jwt-cookie"} {
		t.Run(delivery, func(t *testing.T) {
			s.user(t, "jar-"+delivery)
			tab := b.NewContext(t)
			s.open(t, tab)
			if got := jsLogin(t, tab, "jar-"+delivery, delivery); got["status"] != float64(200) || got["csrf_token"] == "" {
				t.Fatalf("login: %v", got)
			}
			if got := testenv.Eval[string](t, tab, "document.cookie"); got != "" {
				t.Fatalf("document.cookie = %q: a script can read a Gatehouse cookie", got)
			}
			jar := testenv.AllCookies(t, tab)
			want := map[string]scope{"gatehouse_device": {"/", network.CookieSameSiteLax}}
			if delivery == "cookie" {
				want["__Host-gatehouse"] = scope{"/", network.CookieSameSiteLax}
			} else {
				want["gatehouse_at"] = scope{"/", network.CookieSameSiteLax}
				want["gatehouse_rt"] = scope{"/v1/token/refresh", network.CookieSameSiteStrict}
			}
			if len(jar) != len(want) {
				t.Errorf("jar holds %d cookies, want %d: %v", len(jar), len(want), jar)
			}
			for name, w := range want {
				c := testenv.Cookie(jar, name)
				if c == nil {
					t.Errorf("no %s cookie in %v", name, jar)
					continue
				}
				if !c.HTTPOnly || !c.Secure || c.SameSite != w.same || c.Path != w.path || c.Domain != "127.0.0.1" {
					t.Errorf("%s = %+v: want HttpOnly, Secure, SameSite %s, Path %s, host-only", name, c, w.same, w.path)
				}
			}
			if status(t, tab, "/v1/me") != 200 {
				t.Fatal("the cookie does not authenticate the page")
			}
		})
	}
}
