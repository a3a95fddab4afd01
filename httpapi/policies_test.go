package httpapi_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

func loginBody(user string) map[string]string {
	return map[string]string{"username": user, "password": "correct horse battery"}
}

func TestRejectListsSessionsAndResolveCompletesLogin(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 2; c.SessionOverflow = "reject" })
	_, a := e.user("resa")
	b := e.login("resa", "correct horse battery")
	r := e.do("POST", "/v1/login", "", loginBody("resa"), "User-Agent", "phone/3")
	expect(t, r, 409, "session_limit")
	body := r.json(t)
	list := body["sessions"].([]any)
	challenge, _ := body["login_challenge"].(string)
	if len(list) != 2 || challenge == "" {
		t.Fatalf("409 body lacks sessions or challenge: %s", r.body)
	}
	for _, k := range []string{"id", "device_id", "last_seen_at", "ip", "user_agent"} {
		if _, ok := list[0].(map[string]any)[k]; !ok {
			t.Fatalf("session lacks %s: %s", k, r.body)
		}
	}
	_, other := e.user("resb")
	expect(t, e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": challenge, "end_session_id": other.Session}), 404, "not_found")
	// that spent the challenge: log in again for a new one
	challenge = e.do("POST", "/v1/login", "", loginBody("resa")).json(t)["login_challenge"].(string)
	res := e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": challenge, "end_session_id": a.Session})
	expect(t, res, 200, "")
	c := toPair(t, res)
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 200, "")
	expect(t, e.do("GET", "/v1/me", c.Access, nil), 200, "")
	expect(t, e.do("GET", "/v1/me", other.Access, nil), 200, "")
	expect(t, e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": challenge, "end_session_id": b.Session}), 401, "invalid_credentials")
	expect(t, e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": "", "end_session_id": b.Session}), 400, "invalid_request")

	expired := e.do("POST", "/v1/login", "", loginBody("resa")).json(t)["login_challenge"].(string)
	e.clock.Add(2*time.Minute + time.Second)
	expect(t, e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": expired, "end_session_id": b.Session}), 401, "invalid_credentials")
}

func TestParallelResolveOfOneChallengeHasOneWinner(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 1; c.SessionOverflow = "reject" })
	_, a := e.user("para")
	challenge := e.do("POST", "/v1/login", "", loginBody("para")).json(t)["login_challenge"].(string)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": challenge, "end_session_id": a.Session})
			if r.status == 200 {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d resolves won", wins.Load())
	}
}

func TestParallelLoginsNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"evict-oldest", "evict-idle", "reject"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			const limit = 3
			e := start(t, func(c *config.Config) { c.MaxSessions = limit; c.SessionOverflow = policy })
			e.signup("race", "correct horse battery")
			var wg sync.WaitGroup
			var ok atomic.Int32
			for i := 0; i < limit+3; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if e.do("POST", "/v1/login", "", loginBody("race")).status == 200 {
						ok.Add(1)
					}
				}()
			}
			wg.Wait()
			live := e.do("GET", "/v1/admin/users/"+userID(t, e, "race")+"/sessions", adminToken, nil).json(t)["sessions"].([]any)
			if len(live) > limit {
				t.Fatalf("%d live sessions at limit %d", len(live), limit)
			}
			if policy == "reject" && ok.Load() != limit {
				t.Fatalf("%d logins succeeded under reject, want %d", ok.Load(), limit)
			}
		})
	}
}

func userID(t *testing.T, e *env, name string) string {
	t.Helper()
	u, err := e.app.Service.UserByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestRoleLimit(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessionsByRole = []string{"admin=1"} })
	uid, a := e.user("root")
	e.login("root", "correct horse battery")
	e.login("root", "correct horse battery") // no global limit yet: three sessions
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", adminToken, map[string]any{"roles": []string{"admin"}}), 200, "")
	d := e.login("root", "correct horse battery")
	live := e.do("GET", "/v1/admin/users/"+uid+"/sessions", adminToken, nil).json(t)["sessions"].([]any)
	if len(live) != 1 || live[0].(map[string]any)["id"] != d.Session {
		t.Fatalf("admin role limit 1 left %d sessions", len(live))
	}
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
}

func TestDeviceReloginRacingWithRefreshOfOldSession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("dora")
	var wg sync.WaitGroup
	var relogin pair
	var refreshStatus int
	wg.Add(2)
	go func() { defer wg.Done(); relogin = e.login("dora", "correct horse battery", p.Device) }()
	go func() { defer wg.Done(); refreshStatus = e.refresh(p.Refresh).status }()
	wg.Wait()
	if refreshStatus != 200 && refreshStatus != 401 {
		t.Fatalf("refresh during re-login: %d", refreshStatus)
	}
	list := e.do("GET", "/v1/sessions", relogin.Access, nil).json(t)["sessions"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d sessions after device re-login", len(list))
	}
	expect(t, e.refresh(p.Refresh), 401, "") // whatever the order, the old session is gone
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid, a := e.user("gone")
	b := e.login("gone", "correct horse battery")
	e.clock.Add(11 * time.Minute)
	a2 := toPair(t, e.refresh(a.Refresh))
	expect(t, e.do("DELETE", "/v1/me", a2.Access, nil), 401, "reauth_required")
	a3 := toPair(t, e.do("POST", "/v1/reauth", a2.Access, map[string]string{"password": "correct horse battery"}))
	expect(t, e.do("DELETE", "/v1/me", a3.Access, nil), 204, "")
	expect(t, e.do("GET", "/v1/me", a3.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(b.Refresh), 401, "invalid_refresh_token")
	expect(t, e.do("POST", "/v1/login", "", loginBody("gone")), 401, "invalid_credentials")
	expect(t, e.do("GET", "/v1/admin/users/"+uid+"/sessions", adminToken, nil), 404, "not_found")
	e.signup("gone", "correct horse battery") // the name is free again
}

func TestAdminPasswordResetEndsEverySession(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid, a := e.user("reset")
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/password", adminToken, map[string]string{"password": "short"}), 400, "invalid_request")
	expect(t, e.do("PUT", "/v1/admin/users/nope/password", adminToken, map[string]string{"password": "a new long password"}), 404, "not_found")
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/password", adminToken, map[string]string{"password": "a new long password"}), 204, "")
	expect(t, e.do("GET", "/v1/me", a.Access, nil), 401, "token_revoked")
	e.login("reset", "a new long password")
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 1 })
	uid, a := e.user("audi")
	a2 := toPair(t, e.refresh(a.Refresh))
	e.clock.Add(11 * time.Second)
	e.refresh(a.Refresh) // reuse → revoked
	b := e.login("audi", "correct horse battery")
	c := e.login("audi", "correct horse battery") // evicts b
	e.do("POST", "/v1/login", "", map[string]string{"username": "audi", "password": "wrong password"})
	expect(t, e.do("POST", "/v1/password", c.Access, map[string]string{"current_password": "correct horse battery", "new_password": "another long one"}), 204, "")
	_ = a2
	_ = b
	r := e.do("GET", "/v1/me/events", c.Access, nil)
	expect(t, r, 200, "")
	seen := map[string]map[string]any{}
	for _, ev := range r.json(t)["events"].([]any) {
		m := ev.(map[string]any)
		if _, dup := seen[m["type"].(string)]; !dup {
			seen[m["type"].(string)] = m
		}
	}
	for _, want := range []string{"session.created", "session.refreshed", "refresh.reused", "session.revoked", "session.evicted", "login.failed", "password.changed"} {
		if seen[want] == nil {
			t.Errorf("trail lacks %s: %s", want, r.body)
		}
	}
	if d := seen["refresh.reused"]["detail"].(map[string]any); d["cause"] != "after-grace" {
		t.Errorf("reuse cause %v", d)
	}
	if d := seen["session.evicted"]["detail"].(map[string]any); d["policy"] != "evict-oldest" {
		t.Errorf("evicted policy %v", d)
	}
	admin := e.do("GET", "/v1/admin/users/"+uid+"/events?limit=2", adminToken, nil)
	expect(t, admin, 200, "")
	page := admin.json(t)
	if len(page["events"].([]any)) != 2 || page["next"] == nil {
		t.Fatalf("paging: %s", admin.body)
	}
	more := e.do("GET", "/v1/admin/users/"+uid+"/events?limit=2&before="+page["next"].(string), adminToken, nil).json(t)["events"].([]any)
	if len(more) != 2 || more[0].(map[string]any)["id"] == page["events"].([]any)[1].(map[string]any)["id"] {
		t.Fatal("second page repeats the first")
	}
	expect(t, e.do("GET", "/v1/me/events?limit=0", c.Access, nil), 400, "invalid_request")
	expect(t, e.do("GET", "/v1/admin/users/nope/events", adminToken, nil), 404, "not_found")
}
