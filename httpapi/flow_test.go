package httpapi_test

import (
	"fmt"
	"github.com/gatehouse/gatehouse/config"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignupLoginMeRefreshLogout(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid := e.signup("Alice", "correct horse battery")
	p := e.login("alice", "correct horse battery") // case-insensitive
	me := e.do("GET", "/v1/me", p.Access, nil)
	expect(t, me, 200, "")
	m := me.json(t)
	// The username is the name's one spelling, its PRECIS mapped form.
	if m["user"].(map[string]any)["id"] != uid || m["user"].(map[string]any)["username"] != "alice" {
		t.Fatalf("me: %s", me.body)
	}
	if s := m["session"].(map[string]any); s["id"] != p.Session || s["current"] != true || s["device_id"] != p.Device {
		t.Fatalf("me session: %s", me.body)
	}
	r := e.refresh(p.Refresh)
	expect(t, r, 200, "")
	p2 := toPair(t, r)
	if p2.Refresh == p.Refresh || p2.Session != p.Session || p2.Device != p.Device {
		t.Fatalf("refresh did not rotate: %+v %+v", p, p2)
	}
	expect(t, e.do("GET", "/v1/me", p2.Access, nil), 200, "")
	expect(t, e.do("POST", "/v1/logout", p2.Access, nil), 204, "")
	expect(t, e.do("GET", "/v1/me", p2.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(p2.Refresh), 401, "invalid_refresh_token")
}

func TestRefreshReuse(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("bob")
	first := e.refresh(p.Refresh)
	expect(t, first, 200, "")
	succ := toPair(t, first)
	t.Run("within grace the same successor comes back", func(t *testing.T) {
		again := e.refresh(p.Refresh)
		expect(t, again, 200, "")
		if toPair(t, again).Refresh != succ.Refresh {
			t.Fatal("replay within grace returned another successor")
		}
	})
	t.Run("after grace the whole session is revoked", func(t *testing.T) {
		e.clock.Add(11 * time.Second)
		expect(t, e.refresh(p.Refresh), 401, "refresh_token_reused")
		expect(t, e.refresh(succ.Refresh), 401, "invalid_refresh_token")
		expect(t, e.do("GET", "/v1/me", succ.Access, nil), 401, "token_revoked")
		metrics := e.do("GET", "/metrics", "", nil)
		if !strings.Contains(string(metrics.body), `gatehouse_refresh_reuse_total{cause="after-grace"} 1`) {
			t.Fatal("reuse metric missing")
		}
	})
}

func TestOlderChainTokenIsReuse(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("carol")
	p2 := toPair(t, e.refresh(p.Refresh))
	p3 := toPair(t, e.refresh(p2.Refresh))
	expect(t, e.refresh(p.Refresh), 401, "refresh_token_reused") // two generations back, even within grace
	expect(t, e.refresh(p3.Refresh), 401, "invalid_refresh_token")
}

func TestZeroGraceMakesEveryReplayReuse(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RefreshReuseGrace = 0 })
	_, p := e.user("dave")
	expect(t, e.refresh(p.Refresh), 200, "")
	expect(t, e.refresh(p.Refresh), 401, "refresh_token_reused")
}

func TestParallelRefreshOfOneTokenYieldsOneSuccessor(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("erin")
	const n = 16
	var wg sync.WaitGroup
	got := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := e.refresh(p.Refresh)
			if r.status == 200 {
				got[i] = toPair(t, r).Refresh
			}
		}(i)
	}
	wg.Wait()
	for i := range got {
		if got[i] == "" || got[i] != got[0] {
			t.Fatalf("answers differ: %q", got)
		}
	}
}

func TestLogoutScopes(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("frank", "correct horse battery")
	a := e.login("frank", "correct horse battery")
	b := e.login("frank", "correct horse battery")
	c := e.login("frank", "correct horse battery")
	list := e.do("GET", "/v1/sessions", a.Access, nil)
	expect(t, list, 200, "")
	ss := list.json(t)["sessions"].([]any)
	if len(ss) != 3 || ss[0].(map[string]any)["id"] != c.Session {
		t.Fatalf("sessions newest first: %s", list.body)
	}
	expect(t, e.do("POST", "/v1/logout", a.Access, map[string]string{"scope": "others"}), 204, "")
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 200, "")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(c.Refresh), 401, "invalid_refresh_token")
	d := e.login("frank", "correct horse battery")
	expect(t, e.do("POST", "/v1/logout", d.Access, map[string]string{"scope": "global"}), 204, "")
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", d.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(a.Refresh), 401, "invalid_refresh_token")
	expect(t, e.do("POST", "/v1/logout", e.login("frank", "correct horse battery").Access, map[string]string{"scope": "everywhere"}), 400, "invalid_request")
}

func TestDeleteSession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("gina")
	b := e.login("gina", "correct horse battery")
	_, other := e.user("hank")
	expect(t, e.do("DELETE", "/v1/sessions/"+other.Session, a.Access, nil), 404, "not_found")
	expect(t, e.do("DELETE", "/v1/sessions/nope", a.Access, nil), 404, "not_found")
	expect(t, e.do("DELETE", "/v1/sessions/"+b.Session, a.Access, nil), 204, "")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", other.Access, nil), 200, "")
	expect(t, e.do("DELETE", "/v1/sessions/"+a.Session, a.Access, nil), 204, "")
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("ivan")
	b := e.login("ivan", "correct horse battery")
	expect(t, e.do("POST", "/v1/password", a.Access, map[string]string{"current_password": "wrong password!", "new_password": "new long password"}), 401, "invalid_credentials")
	expect(t, e.do("POST", "/v1/password", a.Access, map[string]string{"current_password": "correct horse battery", "new_password": "short"}), 400, "invalid_request")
	expect(t, e.do("POST", "/v1/password", a.Access, map[string]string{"current_password": "correct horse battery", "new_password": "new long password"}), 204, "")
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 200, "")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(b.Refresh), 401, "invalid_refresh_token")
	expect(t, e.refresh(a.Refresh), 200, "")
	expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": "ivan", "password": "correct horse battery"}), 401, "invalid_credentials")
	e.login("ivan", "new long password")
}

func TestReauthAndStepUp(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("judy")
	b := e.login("judy", "correct horse battery")
	e.clock.Add(11 * time.Minute)
	// the access token is 15m, so it still verifies; but it is not fresh
	a2 := toPair(t, e.refresh(a.Refresh))
	expect(t, e.do("POST", "/v1/logout", a2.Access, map[string]string{"scope": "others"}), 401, "reauth_required")
	expect(t, e.do("DELETE", "/v1/sessions/"+b.Session, a2.Access, nil), 401, "reauth_required")
	expect(t, e.do("POST", "/v1/reauth", a2.Access, map[string]string{"password": "bad password"}), 401, "invalid_credentials")
	r := e.do("POST", "/v1/reauth", a2.Access, map[string]string{"password": "correct horse battery"})
	expect(t, r, 200, "")
	a3 := toPair(t, r)
	if a3.Session != a.Session || a3.Refresh == a2.Refresh {
		t.Fatalf("reauth pair: %+v", a3)
	}
	expect(t, e.do("POST", "/v1/logout", a3.Access, map[string]string{"scope": "others"}), 204, "")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(a2.Refresh), 401, "invalid_refresh_token") // superseded by the reauth, within grace
	expect(t, e.refresh(a3.Refresh), 200, "")
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) {
		c.AccessTTL = 60 * time.Second
		c.IdleTimeout = time.Hour
		c.SessionLifetime = 3 * time.Hour
		c.RefreshTTL = 2 * time.Hour
	})
	_, p := e.user("kate")
	e.clock.Add(61*time.Second + 30*time.Second) // past exp + leeway
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_expired")
	e.clock.Add(time.Hour)
	expect(t, e.refresh(p.Refresh), 401, "session_expired")

	_, q := e.user("liam")
	for i := 0; i < 5; i++ { // sliding: refreshing every 50m keeps it alive...
		e.clock.Add(50 * time.Minute)
		r := e.refresh(q.Refresh)
		if i < 3 {
			expect(t, r, 200, "")
			q = toPair(t, r)
		} else { // ...until the absolute 3h lifetime
			expect(t, r, 401, "session_expired")
		}
	}
}

func TestDeviceReplacesItsSession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("mia")
	again := e.login("mia", "correct horse battery", p.Device)
	if again.Device != p.Device || again.Session == p.Session {
		t.Fatalf("device login: %+v vs %+v", again, p)
	}
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
	list := e.do("GET", "/v1/sessions", again.Access, nil).json(t)["sessions"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d sessions after device re-login", len(list))
	}
	_, other := e.user("noah")
	stranger := e.login("noah", "correct horse battery", p.Device)
	if stranger.Device == p.Device {
		t.Fatal("another user's device id was accepted")
	}
	expect(t, e.do("GET", "/v1/me", again.Access, nil), 200, "")
	expect(t, e.do("GET", "/v1/me", other.Access, nil), 200, "")
}

func TestSessionLimit(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"evict-oldest", "evict-idle", "reject"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			e := start(t, func(c *config.Config) { c.MaxSessions = 2; c.SessionOverflow = policy })
			_, a := e.user("olga")
			e.clock.Add(time.Second)
			b := e.login("olga", "correct horse battery")
			e.clock.Add(time.Second)
			expect(t, e.refresh(a.Refresh), 200, "") // a is now the most recently used
			e.clock.Add(time.Second)
			r := e.do("POST", "/v1/login", "", map[string]string{"username": "olga", "password": "correct horse battery"})
			switch policy {
			case "reject":
				expect(t, r, 409, "session_limit")
			case "evict-oldest":
				expect(t, r, 200, "")
				expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
				expect(t, e.do("GET", "/v1/me", b.Access, nil), 200, "")
			case "evict-idle":
				expect(t, r, 200, "")
				expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
			}
		})
	}
}

func TestRestartLosesNothing(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("pete")
	b := e.login("pete", "correct horse battery")
	expect(t, e.do("POST", "/v1/logout", b.Access, nil), 204, "")
	e2 := startWith(t, e.cfg, e.clock) // same data dir, second process view
	expect(t, e2.do("GET", "/v1/me", a.Access, nil), 200, "")
	expect(t, e2.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e2.refresh(a.Refresh), 200, "")
}

func TestRateLimitStopsPasswordFlood(t *testing.T) {
	t.Parallel()
	e := start(t, nil) // the defaults: 10 failures per username, 60 per IP
	e.signup("quinn", "correct horse battery")
	for i := 0; i < 25; i++ { // correct logins are never charged
		e.login("quinn", "correct horse battery")
	}
	limited := 0
	for i := 0; i < 30; i++ {
		r := e.do("POST", "/v1/login", "", map[string]string{"username": "quinn", "password": fmt.Sprintf("guess-%d-xx", i)})
		if r.status == 429 {
			expect(t, r, 429, "rate_limited")
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			limited++
		}
	}
	if limited < 15 {
		t.Fatalf("only %d of 30 guesses limited", limited)
	}
}

func TestRateLimitPerIPAcrossUsernames(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateIPBurst = 5; c.RateIPPerMinute = 1 })
	limited := 0
	for i := 0; i < 12; i++ {
		r := e.do("POST", "/v1/login", "", map[string]string{"username": fmt.Sprintf("nobody-%d", i), "password": "guess guess"})
		if r.status == 429 {
			limited++
		}
	}
	if limited != 7 {
		t.Fatalf("%d of 12 spread guesses limited, want 7 after a burst of 5", limited)
	}
	e.clock.Add(time.Minute) // one token back
	expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": "x-y-z", "password": "guess guess"}), 401, "invalid_credentials")
}

func TestSessionsArePaged(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("pager")
	for range 4 {
		e.login("pager", "correct horse battery")
	}
	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		path := "/v1/sessions?limit=2"
		if after != "" {
			path += "&after=" + after
		}
		r := e.do("GET", path, a.Access, nil)
		expect(t, r, 200, "")
		m := r.json(t)
		for _, s := range m["sessions"].([]any) {
			seen = append(seen, s.(map[string]any)["id"].(string))
		}
		next, _ := m["next"].(string)
		if next == "" {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		after = next
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d sessions, want 5: %v", len(seen), seen)
	}
	expect(t, e.do("GET", "/v1/sessions?limit=0", a.Access, nil), 400, "invalid_request")
	expect(t, e.do("GET", "/v1/sessions?limit=2&limit=3", a.Access, nil), 400, "invalid_request")
	expect(t, e.do("GET", "/v1/sessions?after=nope", a.Access, nil), 400, "invalid_request")
}

func TestDefaultSessionCapEvictsOldest(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateUserBurst, c.RateIPBurst = 0, 0 })
	_, first := e.user("hoarder")
	var last pair
	for range 100 {
		last = e.login("hoarder", "correct horse battery")
	}
	expect(t, e.do("GET", "/v1/me", first.Access, nil), 401, "token_revoked")
	r := e.do("GET", "/v1/sessions?limit=1000", last.Access, nil)
	expect(t, r, 200, "")
	if n := len(r.json(t)["sessions"].([]any)); n != 100 {
		t.Fatalf("%d live sessions after 101 logins, want the default cap of 100", n)
	}
}
