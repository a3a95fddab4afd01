package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// TestErrorTable walks every row of API.md's error table.
func TestErrorTable(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 1; c.SessionOverflow = "reject" })
	uid, p := e.user("rita")
	_, victim := e.user("sam")
	expect(t, e.do("POST", "/v1/logout", victim.Access, nil), 204, "")
	spent := e.refresh(p.Refresh)
	expect(t, spent, 200, "")
	e.clock.Add(11 * time.Second) // past the reuse grace

	rows := []struct {
		name   string
		status int
		code   string
		call   func() resp
	}{
		{"malformed JSON", 400, "invalid_request", func() resp { return e.do("POST", "/v1/login", "", `{"username":`) }},
		{"weak password", 400, "invalid_request", func() resp {
			return e.do("POST", "/v1/signup", "", map[string]string{"username": "tom", "password": "short"})
		}},
		{"wrong password", 401, "invalid_credentials", func() resp {
			return e.do("POST", "/v1/login", "", map[string]string{"username": "rita", "password": "wrong password"})
		}},
		{"unknown user", 401, "invalid_credentials", func() resp {
			return e.do("POST", "/v1/login", "", map[string]string{"username": "nobody", "password": "wrong password"})
		}},
		{"missing token", 401, "invalid_token", func() resp { return e.do("GET", "/v1/me", "", nil) }},
		{"garbage token", 401, "invalid_token", func() resp { return e.do("GET", "/v1/me", "a.b.c", nil) }},
		{"revoked token", 401, "token_revoked", func() resp { return e.do("GET", "/v1/me", victim.Access, nil) }},
		{"unknown refresh", 401, "invalid_refresh_token", func() resp { return e.refresh("nope") }},
		{"reused refresh", 401, "refresh_token_reused", func() resp { return e.refresh(p.Refresh) }},
		{"forbidden: signup disabled is tested elsewhere; admin with user token", 403, "forbidden", func() resp {
			return e.do("GET", "/v1/admin/users/"+uid+"/sessions", toPair(t, e.do("POST", "/v1/login", "", map[string]string{"username": "sam", "password": "correct horse battery"})).Access, nil)
		}},
		{"not found route", 404, "not_found", func() resp { return e.do("GET", "/v1/nothing", "", nil) }},
		{"user exists", 409, "user_exists", func() resp {
			return e.do("POST", "/v1/signup", "", map[string]string{"username": "RITA", "password": "correct horse battery"})
		}},
		{"too large", 413, "request_too_large", func() resp {
			return e.do("POST", "/v1/login", "", `{"username":"`+strings.Repeat("a", 70<<10)+`"}`)
		}},
		{"wrong content type", 415, "invalid_request", func() resp {
			return e.do("POST", "/v1/login", "", `{"username":"a","password":"b"}`, "Content-Type", "text/plain")
		}},
		{"method not allowed", 405, "invalid_request", func() resp { return e.do("GET", "/v1/login", "", nil) }},
		{"cross-site cookie login", 403, "csrf_failed", func() resp {
			return e.do("POST", "/v1/login", "", map[string]string{"username": "rita", "password": "correct horse battery", "delivery": "cookie"}, "Origin", "https://evil.test")
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) { expect(t, row.call(), row.status, row.code) })
	}
	t.Run("token expired", func(t *testing.T) {
		_, q := e.user("uma")
		e.clock.Add(16 * time.Minute)
		expect(t, e.do("GET", "/v1/me", q.Access, nil), 401, "token_expired")
	})
	t.Run("session expired", func(t *testing.T) {
		_, q := e.user("ursa")
		e.clock.Add(169 * time.Hour) // past the 168h idle timeout
		expect(t, e.refresh(q.Refresh), 401, "session_expired")
	})
	t.Run("reauth required", func(t *testing.T) {
		_, q := e.user("ulla")
		e.clock.Add(11 * time.Minute)
		expect(t, e.do("POST", "/v1/logout", q.Access, map[string]string{"scope": "global"}), 401, "reauth_required")
	})
	t.Run("rate limited", func(t *testing.T) {
		var r resp
		for i := 0; i < 12; i++ {
			r = e.do("POST", "/v1/login", "", map[string]string{"username": "rita", "password": "wrong password"})
		}
		expect(t, r, 429, "rate_limited")
	})
	t.Run("session limit", func(t *testing.T) {
		e.signup("vera", "correct horse battery")
		e.login("vera", "correct horse battery")
		expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": "vera", "password": "correct horse battery"}), 409, "session_limit")
	})
}

func TestSignupDisabled(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.Signup = false })
	expect(t, e.do("POST", "/v1/signup", "", map[string]string{"username": "walt", "password": "correct horse battery"}), 403, "forbidden")
}

func TestServiceUnavailableWhenStoreIsGone(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("xena")
	e.app.Store.Close()
	expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": "xena", "password": "correct horse battery"}), 503, "unavailable")
	expect(t, e.refresh(p.Refresh), 503, "unavailable")
	expect(t, e.do("GET", "/readyz", "", nil), 200, "") // nothing has pinged the store yet
	e.app.CheckStore(context.Background())              // what the app's background loop does every second
	expect(t, e.do("GET", "/readyz", "", nil), 503, "unavailable")
	expect(t, e.do("GET", "/v1/verify", p.Access, nil), 200, "") // verify needs no store
}

// TestBadInput: hostile and malformed bodies get a 4xx JSON error, never 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("yuri")
	bodies := []string{
		``, `null`, `[]`, `"str"`, `123`, `{`, `{"username":1,"password":2}`, `{"username":["a"],"password":"x"}`,
		`{"username":"yuri","password":"correct horse battery","extra":1}`,
		`{"username":"yuri","password":"correct horse battery"} trailing`,
		`{"username":"yuri","password":"correct horse battery"}{}`,
		"{\"username\":\"\xff\xfe\",\"password\":\"correct horse battery\"}",
		`{"username":"` + strings.Repeat("ü", 65) + `","password":"correct horse battery"}`,
		`{"username":"ab","password":"correct horse battery"}`,
		`{"username":"a\u0000b\u0007c","password":"correct horse battery"}`,
		`{"username":"zero\u200bwidth","password":"correct horse battery"}`,
		`{"username":"rtl\u202egnp","password":"correct horse battery"}`,
		`{"username":" lead","password":"correct horse battery"}`,
		`{"username":"okname","password":""}`,
		`{"username":"okname","password":"` + strings.Repeat("p", 1025) + `"}`,
		`{"username":"okname","password":"\ud800\udc00 lone \ud800"}`,
		`{"username":"okname","password":"correct horse battery","device_id":{"a":1}}`,
	}
	for _, path := range []string{"/v1/signup", "/v1/login"} {
		for _, b := range bodies {
			r := e.do("POST", path, "", b)
			if r.status < 400 || r.status >= 500 {
				t.Errorf("%s %q → %d %s", path, b, r.status, r.body)
				continue
			}
			_ = r.json(t)
		}
	}
	authed := []struct{ method, path, body string }{
		{"POST", "/v1/logout", `{"scope":7}`},
		{"POST", "/v1/logout", `{"scope":"local","x":1}`},
		{"POST", "/v1/password", `{}`},
		{"POST", "/v1/password", `{"current_password":null,"new_password":null}`},
		{"POST", "/v1/reauth", `[]`},
		{"POST", "/v1/token/refresh", `{"refresh_token":123}`},
		{"POST", "/v1/token/refresh", `{}`},
		{"DELETE", "/v1/sessions/%00%ff", ``},
	}
	for _, a := range authed {
		r := e.do(a.method, a.path, p.Access, a.body)
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s %s %q → %d %s", a.method, a.path, a.body, r.status, r.body)
		}
	}
	for _, tok := range []string{"x", strings.Repeat("A", 9000), "eyJhbGciOiJub25lIn0.e30.", "a.b.c.d", "Bearer", p.Access[:len(p.Access)-2], p.Access + "x"} {
		r := e.do("GET", "/v1/verify", "", nil, "Authorization", "Bearer "+tok)
		if r.status != http.StatusUnauthorized {
			t.Errorf("token %.40q → %d", tok, r.status)
		}
	}
	if got := e.do("GET", "/v1/me", "", nil, "Authorization", "Basic Zm9vOmJhcg=="); got.status != 401 {
		t.Errorf("basic auth → %d", got.status)
	}
}

// TestHasherOverflowAnswers503WithRetryAfter: with one hashing slot and no
// queue, logins arriving while a hash runs are turned away, not queued
// without bound.
func TestHasherOverflowAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.HashConcurrency, c.HashQueue, c.Argon2Memory = 1, 0, 8*1024 })
	e.signup("busy", "correct horse battery")
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		got := make([]resp, 8)
		for i := range got {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				got[i] = e.do("POST", "/v1/login", "", map[string]string{"username": "busy", "password": "correct horse battery"})
			}(i)
		}
		wg.Wait()
		for _, r := range got {
			if r.status == 503 {
				expect(t, r, 503, "unavailable")
				if r.header.Get("Retry-After") == "" {
					t.Fatal("503 without Retry-After")
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("unexpected %d %s", r.status, r.body)
			}
		}
	}
	t.Fatal("160 overlapping logins on one hashing slot never got 503")
}
