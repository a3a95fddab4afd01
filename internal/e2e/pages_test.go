package e2e_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// pageLogin signs the tab's device in through the /login page by typing
// and clicking, and waits for the account page.
func (s *server) pageLogin(t *testing.T, tab context.Context, name string) {
	t.Helper()
	testenv.Do(t, tab,
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("devices-heading")),
	)
}

func location(t *testing.T, tab context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Logging in through /login leaves only the session and device cookies,
// HttpOnly, Secure, SameSite=Lax, the session one __Host- (host-only,
// Path=/); no script can read them.
func TestLoginPageCookies(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	s.user(t, "page-user")
	tab := b.NewContext(t)
	s.pageLogin(t, tab, "page-user")
	if !strings.HasSuffix(location(t, tab), "/account") {
		t.Fatalf("after login the browser is at %s", location(t, tab))
	}
	jar := testenv.AllCookies(t, tab)
	sess := testenv.Cookie(jar, "__Host-gatehouse")
	if sess == nil || !sess.HTTPOnly || !sess.Secure || sess.SameSite != network.CookieSameSiteLax ||
		sess.Path != "/" || sess.Domain != "127.0.0.1" {
		t.Fatalf("session cookie = %+v", sess)
	}
	if dev := testenv.Cookie(jar, "gatehouse_device"); dev == nil || !dev.HTTPOnly || !dev.Secure {
		t.Fatalf("device cookie = %+v", dev)
	}
	if got := testenv.Eval[string](t, tab, "document.cookie"); got != "" {
		t.Fatalf("document.cookie = %q", got)
	}
}

// "Log out all other devices" clicked on /account in one browser context
// (after the /reauth re-prompt its stale login asks for) ends the session
// of a second, separate context on that one's next request.
func TestAccountLogoutOthersWithReauthPrompt(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	s.user(t, "two-browsers")
	laptop, phone := b.NewContext(t), b.NewContext(t)
	s.pageLogin(t, laptop, "two-browsers")
	s.pageLogin(t, phone, "two-browsers")
	s.clock.Add(11 * time.Minute) // past --reauth-max-age: the click needs a fresh login

	// Each step waits for what only the page after it shows, so no click
	// lands on a document that is being replaced.
	testenv.Do(t, laptop,
		chromedp.Click(chromedp.CSS(`form[action="/account/logout-others"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/reauth"] #password`)),
	)
	if !strings.Contains(location(t, laptop), "/reauth") {
		t.Fatalf("a stale login clicking 'log out others' landed on %s, want /reauth", location(t, laptop))
	}
	testenv.Do(t, laptop,
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/reauth"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[data-notice="notice.reauth"]`)),
	)
	testenv.Do(t, laptop,
		chromedp.Click(chromedp.CSS(`form[action="/account/logout-others"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[data-notice="notice.others"]`)),
	)
	testenv.Do(t, phone, chromedp.Navigate(s.url+"/account"), chromedp.WaitVisible(chromedp.ID("username")))
	if !strings.Contains(location(t, phone), "/login") {
		t.Fatalf("the other browser's next request, /account, went to %s, want /login", location(t, phone))
	}
	s.open(t, phone) // the pages' CSP forbids fetch: ask from the test page
	if got := status(t, phone, "/v1/me"); got != 401 {
		t.Fatalf("the other browser's /v1/me = %d, want 401", got)
	}
	s.open(t, laptop)
	if got := status(t, laptop, "/v1/me"); got != 200 {
		t.Fatalf("the browser that clicked = %d, want 200", got)
	}
}

// With --session-overflow reject, a login at the limit shows the choice
// page; clicking which device to log out completes the login and ends
// that device's session.
func TestSessionLimitChoiceByClicking(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, func(c *config.Config) { c.MaxSessions = 1; c.SessionOverflow = "reject" })
	s.user(t, "limited")
	old, fresh := b.NewContext(t), b.NewContext(t)
	s.pageLogin(t, old, "limited")
	testenv.Do(t, fresh,
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "limited"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("end-0")),
		chromedp.Click(chromedp.ID("end-0")),
		chromedp.Click(chromedp.CSS(`form[action="/login/resolve"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("devices-heading")),
	)
	s.open(t, old) // the pages' CSP forbids fetch: ask from the test page
	s.open(t, fresh)
	if got := status(t, old, "/v1/me"); got != 401 {
		t.Fatalf("the device chosen to log out answers %d, want 401", got)
	}
	if got := status(t, fresh, "/v1/me"); got != 200 {
		t.Fatalf("the new login answers %d", got)
	}
}

// Screenshots of /login and /account in English and Korean, for
// docs/browser.md (written under docs/screenshots with
// GATEHOUSE_UPDATE_SCREENSHOTS=1).
func TestScreenshots(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	s.user(t, "screenshot")
	dir := testenv.OutputDir(t)
	for _, lang := range []string{"en", "ko"} {
		tab := b.NewContext(t)
		testenv.AcceptLanguage(t, tab, lang)
		testenv.Do(t, tab, chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.ID("username")))
		if got := testenv.Eval[string](t, tab, "document.documentElement.lang"); got != lang {
			t.Errorf("/login for %s has lang %q", lang, got)
		}
		testenv.Screenshot(t, tab, filepath.Join(dir, "login-"+lang+".png"))
		testenv.Do(t, tab,
			chromedp.SendKeys(chromedp.ID("username"), "screenshot"),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("devices-heading")),
		)
		testenv.Screenshot(t, tab, filepath.Join(dir, "account-"+lang+".png"))
	}
}
