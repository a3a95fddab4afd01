package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// These self-tests pin down what the browser tests of the server rely on:
// which loopback origins Chromium trusts with Secure cookies, which of them
// are separate sites, and that devices and tabs share exactly what a real
// browser shares.

// The cookies of the self-tests are shaped like Gatehouse's: a __Host-
// session cookie and a refresh cookie confined to the refresh path.
const (
	hostCookie = "__Host-x=1; Secure; HttpOnly; SameSite=Lax; Path=/"
	pathCookie = "rt=1; Secure; HttpOnly; SameSite=Strict; Path=/v1/token/refresh"
)

// seen is what the test server saw of the last request to /echo.
type seen struct {
	mu                      sync.Mutex
	cookie, fetchSite, lang []string
}

func (s *seen) last() (cookie, fetchSite, lang []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cookie, s.fetchSite, s.lang
}

// cookieSite serves /set (sets hostCookie), /echo (records the request's
// headers) and /attack (a page whose script a test runs), each with an
// element #ok to wait for.
func cookieSite(t *testing.T, addr string) (string, *seen) {
	t.Helper()
	s := new(seen)
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>t</title><p id=ok>%s</p>", body)
	}
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", hostCookie)
		w.Header().Add("Set-Cookie", pathCookie)
		page(w, "set")
	})
	mux.HandleFunc("GET /clear", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Clear-Site-Data", `"cookies"`)
		page(w, "clear")
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.cookie, s.fetchSite, s.lang = r.Header.Values("Cookie"), r.Header.Values("Sec-Fetch-Site"), r.Header.Values("Accept-Language")
		s.mu.Unlock()
		page(w, "echo")
	})
	mux.HandleFunc("GET /attack", func(w http.ResponseWriter, r *http.Request) { page(w, "attack") })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, s
}

// TestChromiumSecureCookiesOnLoopback: Chromium treats every loopback
// origin as potentially trustworthy, so Secure and __Host- cookies are
// stored and sent over plain http there, HttpOnly hides them from scripts,
// and Clear-Site-Data is honoured.
func TestChromiumSecureCookiesOnLoopback(t *testing.T) {
	b := Browser(t)
	for _, tc := range []struct{ name, listen, host string }{
		{"127.0.0.1", "127.0.0.1:0", "127.0.0.1"},
		{"127.0.0.2 (another site)", "127.0.0.2:0", "127.0.0.2"},
		{"localhost", "127.0.0.1:0", "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // devices of one browser are independent
			base, seen := cookieSite(t, tc.listen)
			base = strings.Replace(base, strings.Split(tc.listen, ":")[0], tc.host, 1)
			ctx := b.NewContext(t)
			Do(t, ctx, chromedp.Navigate(base+"/set"), chromedp.WaitVisible(chromedp.ID("ok")))

			c := Cookie(Cookies(t, ctx, base+"/"), "__Host-x")
			if c == nil {
				t.Fatalf("__Host-x was not stored; jar: %v", AllCookies(t, ctx))
			}
			if c.Value != "1" || !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax ||
				c.Path != "/" || c.Domain != tc.host || !c.Session {
				t.Errorf("cookie = %+v, want value 1, Secure, HttpOnly, SameSite=Lax, Path=/, host-only %s, session", c, tc.host)
			}
			if got := Eval[string](t, ctx, "document.cookie"); got != "" {
				t.Errorf("document.cookie = %q, want the HttpOnly cookie hidden", got)
			}

			Do(t, ctx, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
			if cookie, _, _ := seen.last(); len(cookie) != 1 || cookie[0] != "__Host-x=1" {
				t.Errorf("Cookie sent back = %q, want [__Host-x=1]", cookie)
			}

			// A path-confined cookie is listed only for a URL under its path.
			if Cookie(Cookies(t, ctx, base+"/"), "rt") != nil {
				t.Errorf("rt (Path=/v1/token/refresh) listed for /")
			}
			if c := Cookie(Cookies(t, ctx, base+"/v1/token/refresh"), "rt"); c == nil ||
				c.Path != "/v1/token/refresh" || c.SameSite != network.CookieSameSiteStrict || !c.Secure {
				t.Errorf("rt for its path = %+v, want Secure, Strict, Path=/v1/token/refresh", c)
			}

			// Logout's Clear-Site-Data works here too: it needs a
			// trustworthy origin, which loopback is.
			Do(t, ctx, chromedp.Navigate(base+"/clear"), chromedp.WaitVisible(chromedp.ID("ok")))
			if jar := AllCookies(t, ctx); len(jar) != 0 {
				t.Errorf("jar after Clear-Site-Data = %v, want empty", jar)
			}
		})
	}
}

// TestChromiumSiteBoundaries records what a CSRF test can count on: another
// port of 127.0.0.1 is same-site (SameSite=Lax cookies still go along, only
// the Origin tells the pages apart), while 127.0.0.2 is cross-site (the Lax
// cookie stays home and Sec-Fetch-Site says cross-site).
func TestChromiumSiteBoundaries(t *testing.T) {
	b := Browser(t)
	victim, seen := cookieSite(t, "127.0.0.1:0")
	otherPort, _ := cookieSite(t, "127.0.0.1:0")
	otherSite, _ := cookieSite(t, "127.0.0.2:0")

	ctx := b.NewContext(t)
	Do(t, ctx, chromedp.Navigate(victim+"/set"), chromedp.WaitVisible(chromedp.ID("ok")))
	for _, tc := range []struct {
		name, attacker, wantSite string
		wantCookie               bool
	}{
		{"same origin", victim, "same-origin", true},
		{"another port", otherPort, "same-site", true},
		{"127.0.0.2", otherSite, "cross-site", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Do(t, ctx, chromedp.Navigate(tc.attacker+"/attack"), chromedp.WaitVisible(chromedp.ID("ok")))
			Eval[int](t, ctx, fmt.Sprintf(
				`fetch(%q, {credentials: "include", mode: "no-cors"}).then(() => 1)`, victim+"/echo"))
			cookie, site, _ := seen.last()
			if got := len(cookie) == 1 && cookie[0] == "__Host-x=1"; got != tc.wantCookie {
				t.Errorf("Cookie = %q, want sent: %v", cookie, tc.wantCookie)
			}
			if len(site) != 1 || site[0] != tc.wantSite {
				t.Errorf("Sec-Fetch-Site = %q, want %s", site, tc.wantSite)
			}
		})
	}
}

// TestChromiumDevicesAndTabs: two NewContext devices share nothing; two tabs
// of one device share its cookie jar.
func TestChromiumDevicesAndTabs(t *testing.T) {
	b := Browser(t)
	base, seen := cookieSite(t, "127.0.0.1:0")
	phone := b.NewContext(t)
	laptop := b.NewContext(t)
	Do(t, phone, chromedp.Navigate(base+"/set"), chromedp.WaitVisible(chromedp.ID("ok")))

	tab := b.NewTab(t, phone)
	if c := Cookie(Cookies(t, tab, base+"/"), "__Host-x"); c == nil {
		t.Errorf("second tab of the device does not see the cookie")
	}
	Do(t, tab, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
	if cookie, _, _ := seen.last(); len(cookie) != 1 {
		t.Errorf("second tab sent Cookie %q, want the device's cookie", cookie)
	}

	if jar := AllCookies(t, laptop); len(jar) != 0 {
		t.Errorf("other device's jar = %v, want empty", jar)
	}
	Do(t, laptop, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
	if cookie, _, _ := seen.last(); len(cookie) != 0 {
		t.Errorf("other device sent Cookie %q, want none", cookie)
	}
	if jar := AllCookies(t, phone); len(jar) != 2 {
		t.Errorf("device jar = %v, want its two cookies", jar)
	}
}

// TestChromiumAcceptLanguageAndScreenshot: a tab asks for Korean pages with
// exactly one Accept-Language header, and a full-page screenshot is a PNG.
func TestChromiumAcceptLanguageAndScreenshot(t *testing.T) {
	b := Browser(t)
	base, seen := cookieSite(t, "127.0.0.1:0")
	ctx := b.NewContext(t)
	Do(t, ctx, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
	if _, _, lang := seen.last(); len(lang) != 1 || !strings.HasPrefix(lang[0], "en-US") {
		t.Errorf("default Accept-Language = %q, want en-US first", lang)
	}
	AcceptLanguage(t, ctx, "ko")
	Do(t, ctx, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
	if _, _, lang := seen.last(); len(lang) != 1 || lang[0] != "ko" {
		t.Errorf("Accept-Language = %q, want [ko]", lang)
	}

	path := filepath.Join(t.TempDir(), "shots", "echo.png")
	Screenshot(t, ctx, path)
	png, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot is not a PNG (err %v)", err)
	}
}

// TestChromiumTabsShareLocksAndChannels: the cross-tab machinery gatehouse.js
// relies on (Web Locks, BroadcastChannel) works between two tabs of one
// device in this headless browser, and a lock is not seen by another device.
func TestChromiumTabsShareLocksAndChannels(t *testing.T) {
	b := Browser(t)
	base, _ := cookieSite(t, "127.0.0.1:0")
	first := b.NewContext(t)
	second := b.NewTab(t, first)
	other := b.NewContext(t)
	for _, ctx := range []context.Context{first, second, other} {
		Do(t, ctx, chromedp.Navigate(base+"/echo"), chromedp.WaitVisible(chromedp.ID("ok")))
	}

	// Resolves once the lock is granted; the lock stays held until release().
	Eval[int](t, first, `new Promise(granted => navigator.locks.request("refresh",
		() => { granted(1); return new Promise(r => { window.release = r; }); }))`)
	held := `navigator.locks.query().then(s => s.held.map(l => l.name))`
	if got := Eval[[]string](t, second, held); len(got) != 1 || got[0] != "refresh" {
		t.Errorf("second tab sees held locks %q, want [refresh]", got)
	}
	if got := Eval[[]string](t, other, held); len(got) != 0 {
		t.Errorf("other device sees held locks %q, want none", got)
	}

	// Two tabs queue for one lock at the same time: both get it, in turn.
	Eval[int](t, first, `window.release(), 1`)
	turns := EvalAtOnce[int](t, `navigator.locks.request("refresh", () => 1)`, first, second)
	if len(turns) != 2 || turns[0] != 1 || turns[1] != 1 {
		t.Errorf("lock turns = %v, want [1 1]", turns)
	}

	Eval[int](t, second, `window.got = new Promise(ok => {
		new BroadcastChannel("gatehouse").onmessage = e => ok(e.data); }), 1`)
	Eval[int](t, first, `new BroadcastChannel("gatehouse").postMessage("refreshed"), 1`)
	if got := Eval[string](t, second, `window.got`); got != "refreshed" {
		t.Errorf("second tab received %q, want refreshed", got)
	}
}
