package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// pgNode opens a node on c (PostgreSQL: a private server, possibly
// through a testenv.Proxy), with every PostgreSQL operation
// bounded by failTimeout, and serves its handler. It does not run
// Background: tests drive the store ping and the sync themselves unless
// they start it.
func pgNode(t *testing.T, c config.Config) (*App, *httptest.Server) {
	t.Helper()
	old := pgTimeout
	pgTimeout = failTimeout
	t.Cleanup(func() { pgTimeout = old })
	a, err := Open(context.Background(), c, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return a, srv
}

// privatePostgres is a node config on a fresh schema of the private server
// p, with the cluster's master key.
func privatePostgres(t *testing.T, p *testenv.PostgresServer) config.Config {
	_, schema := p.Schema()
	return postgresNode(t, p.URL, schema)
}

// TestPostgresOutage is issue 9 item 7 on a private PostgreSQL, the only
// store, which goes away mid-test in three ways: a fast shutdown (what an
// operator's restart does), kill -9 of every process (a host that died),
// and SIGSTOP (a stalled host: connections stay open, nothing answers).
// Meanwhile verify goes on from the node's revocation set, /readyz answers
// 503 with the reason and gatehouse_store_up is 0, login, refresh and
// logout answer 503 unavailable within a few operation timeouts, clear no
// cookie and change nothing (the store is read afterwards); once the
// server is back, the node recovers by itself.
func TestPostgresOutage(t *testing.T) {
	for _, mode := range []string{"stopped", "killed", "paused"} {
		t.Run(mode, func(t *testing.T) {
			p := testenv.StartPostgres(t)
			a, srv := pgNode(t, privatePostgres(t, p))
			storeOutage(t, a, srv, func() {
				switch mode {
				case "stopped":
					p.Stop(t)
				case "killed":
					p.Kill(t)
				case "paused":
					p.Pause(t)
				}
			}, func() {
				if mode == "paused" {
					p.Resume(t)
				} else {
					p.Start(t)
				}
			})
		})
	}
}

// storeOutage runs the outage story against node a (served by srv): down()
// takes its store away, up() brings it back.
func storeOutage(t *testing.T, a *App, srv *httptest.Server, down, up func()) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if _, err := a.Service.CreateUser(ctx, u, "correct horse battery", nil); err != nil {
			t.Fatal(err)
		}
	}
	bob := httpLogin(t, srv.URL, "bob", "")
	gone := httpLogin(t, srv.URL, "bob", "") // logged out before the outage
	expectCode(t, "logout before the outage", do(t, "POST", srv.URL+"/v1/logout", map[string]string{}, bearer(gone.access)), 204, "")
	alice := httpLogin(t, srv.URL, "alice", "jwt-cookie")
	aliceWeb := httpLogin(t, srv.URL, "alice", "cookie")
	bobWho, err := a.Service.Authenticate(bob.access)
	if err != nil {
		t.Fatal(err)
	}
	before, err := a.Store.Session(ctx, bobWho.UserID, bobWho.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	count, err := a.Store.CountSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}

	down()
	back := false
	defer func() {
		if !back {
			up()
		}
	}()
	waitStore(t, a, false)
	code, body := get(t, srv.URL+"/readyz", "")
	if code != 503 || body["error"] != "unavailable" || !strings.Contains(body["message"], "unavailable") {
		t.Errorf("readyz with the store down: %d %v, want 503 unavailable with the reason", code, body)
	}
	if g := storeUpGauge(t, a); g != 0 {
		t.Errorf("gatehouse_store_up = %v with the store down, want 0", g)
	}

	// Verify needs no store: a live token passes, a revoked one stays refused.
	expectCode(t, "verify bob", promptly(t, "verify", func() *http.Response {
		return do(t, "GET", srv.URL+"/v1/verify", nil, bearer(bob.access))
	}), 200, "")
	expectCode(t, "verify a logged-out token", do(t, "GET", srv.URL+"/v1/verify", nil, bearer(gone.access)), 401, "")
	expectCode(t, "verify alice's access cookie", do(t, "GET", srv.URL+"/v1/verify", nil, alice.withCookies), 200, "")

	// Writes answer 503 promptly and clear no cookie.
	expectCode(t, "login", promptly(t, "login", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/login", map[string]string{"username": "bob", "password": "correct horse battery"}, nil)
	}), 503, "unavailable")
	expectCode(t, "signup", promptly(t, "signup", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/signup", map[string]string{"username": "carol", "password": "correct horse battery"}, nil)
	}), 503, "unavailable")
	expectCode(t, "refresh", promptly(t, "refresh", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": bob.refresh}, nil)
	}), 503, "unavailable")
	res := promptly(t, "cookie refresh", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{}, alice.withCookies)
	})
	expectCode(t, "cookie refresh", res, 503, "unavailable")
	if clearsCookies(res) {
		t.Errorf("a 503 to a cookie refresh cleared cookies: %v", res.Header["Set-Cookie"])
	}
	expectCode(t, "logout", promptly(t, "logout", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/logout", map[string]string{}, bearer(bob.access))
	}), 503, "unavailable")
	res = promptly(t, "cookie logout", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/logout", map[string]string{}, aliceWeb.withCookies)
	})
	expectCode(t, "cookie logout", res, 503, "unavailable")
	if clearsCookies(res) {
		t.Errorf("a 503 to a cookie logout cleared cookies: %v", res.Header["Set-Cookie"])
	}

	up()
	back = true
	waitStore(t, a, true)
	if code, _ := get(t, srv.URL+"/readyz", ""); code != 200 || storeUpGauge(t, a) != 1 {
		t.Errorf("store back: readyz %d, gauge %v; want 200, 1", code, storeUpGauge(t, a))
	}
	// The 503s changed nothing: the same sessions, bob's not rotated.
	after, err := a.Store.Session(ctx, bobWho.UserID, bobWho.SessionID)
	if err != nil {
		t.Fatalf("bob's session after the outage: %v", err)
	}
	if after.RefreshGen != before.RefreshGen || string(after.RefreshHash) != string(before.RefreshHash) {
		t.Errorf("bob's session changed during the outage: generation %d -> %d", before.RefreshGen, after.RefreshGen)
	}
	if n, err := a.Store.CountSessions(ctx); err != nil || n != count {
		t.Errorf("sessions after the outage: %d, %v; want %d (a 503 created or ended one)", n, err, count)
	}
	if _, err := a.Store.UserByName(ctx, "carol"); err == nil {
		t.Error("the signup that answered 503 created carol")
	}
	expectCode(t, "verify bob after the outage (the 503 logout changed nothing)",
		do(t, "GET", srv.URL+"/v1/verify", nil, bearer(bob.access)), 200, "")
	expectCode(t, "bob's refresh token after the outage (not spent by the 503)",
		do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": bob.refresh}, nil), 200, "")
	expectCode(t, "alice's refresh cookie after the outage",
		do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{}, alice.withCookies), 200, "")
	expectCode(t, "alice's cookie logout after the outage",
		do(t, "POST", srv.URL+"/v1/logout", map[string]string{}, aliceWeb.withCookies), 204, "")
	expectCode(t, "login after the outage", do(t, "POST", srv.URL+"/v1/login",
		map[string]string{"username": "bob", "password": "correct horse battery"}, nil), 200, "")
	expectCode(t, "signup after the outage", do(t, "POST", srv.URL+"/v1/signup",
		map[string]string{"username": "carol", "password": "correct horse battery"}, nil), 201, "")
}

// runBackground runs a's background loops (store ping, revocation push and
// follow, with the periodic sync an hour away so that only a push or a
// replay can bring a revocation) until the test ends.
func runBackground(t *testing.T, a *App) {
	t.Helper()
	a.syncEvery = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Background(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestRevocationsMadeDuringAnOutageAreReplayed is issue 9 item 7's last
// clause: node 2 is cut from the store (a proxy between them stops), node 1
// logs a session out meanwhile, and when node 2 reaches the store again it
// refuses that session's access token by itself — PostgreSQL: the LISTEN
// connection comes back and reads the log after its cursor; Redis: the
// XREAD BLOCK follower reconnects and reads past its cursor. The periodic
// sync is an hour away, so only that replay can bring the revocation.
func TestRevocationsMadeDuringAnOutageAreReplayed(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		p := testenv.StartPostgres(t)
		c1 := privatePostgres(t, p)
		px := testenv.StartProxy(t, fmt.Sprintf("127.0.0.1:%d", p.Port))
		c2 := c1
		c2.DataDir = t.TempDir()
		c2.PostgresURL = strings.Replace(c1.PostgresURL, fmt.Sprintf("127.0.0.1:%d", p.Port), px.Addr, 1)
		n1, srv1 := pgNode(t, c1)
		n2, srv2 := pgNode(t, c2)
		replayStory(t, n1, srv1, n2, srv2, px)
	})
	t.Run("redis", func(t *testing.T) {
		r := testenv.StartRedis(t)
		px := testenv.StartProxy(t, r.Addr)
		c := testenv.Config(t) // one SQLite users file for both nodes
		n1, srv1 := redisNode(t, c, r, nil)
		old := redisTimeout
		redisTimeout = failTimeout
		defer func() { redisTimeout = old }()
		c.RedisURL = "redis://" + px.Addr + "/0"
		n2, err := Open(context.Background(), c, quietLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n2.Close() })
		srv2 := httptest.NewServer(n2.Handler())
		t.Cleanup(srv2.Close)
		replayStory(t, n1, srv1, n2, srv2, px)
	})
}

// replayStory: n2 reaches the store through px only.
func replayStory(t *testing.T, n1 *App, srv1 *httptest.Server, n2 *App, srv2 *httptest.Server, px *testenv.Proxy) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if _, err := n1.Service.CreateUser(ctx, u, "correct horse battery", nil); err != nil {
			t.Fatal(err)
		}
	}
	runBackground(t, n2)
	alice := httpLogin(t, srv1.URL, "alice", "")
	bob := httpLogin(t, srv2.URL, "bob", "")
	expectCode(t, "alice on node 2 before the cut", do(t, "GET", srv2.URL+"/v1/verify", nil, bearer(alice.access)), 200, "")

	px.Cut()
	waitStore(t, n2, false)
	expectCode(t, "alice's logout on node 1 during node 2's outage",
		do(t, "POST", srv1.URL+"/v1/logout", map[string]string{}, bearer(alice.access)), 204, "")
	// Node 2 cannot know yet: it verifies from what it has.
	expectCode(t, "alice on node 2, cut off", do(t, "GET", srv2.URL+"/v1/verify", nil, bearer(alice.access)), 200, "")

	px.Restore()
	restored := time.Now()
	for {
		res := do(t, "GET", srv2.URL+"/v1/verify", nil, bearer(alice.access))
		if res.StatusCode == 401 {
			break
		}
		if time.Since(restored) > 30*time.Second { // a bound for a stuck test, not a timing assertion
			t.Fatalf("node 2 still accepts alice's token 30 s after it reached the store again (%d)", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond) // polling another goroutine's reconnect
	}
	t.Logf("node 2 refused the token logged out during its outage %v after the store was reachable again", time.Since(restored))
	expectCode(t, "bob on node 2 after the replay", do(t, "GET", srv2.URL+"/v1/verify", nil, bearer(bob.access)), 200, "")
	expectCode(t, "bob on node 1", do(t, "GET", srv1.URL+"/v1/verify", nil, bearer(bob.access)), 200, "")
}

// TestPostgresDownWhileRedisHoldsSessions is issue 9 item 7: users in a
// private PostgreSQL, sessions in a private Redis; PostgreSQL stops. Login
// and signup answer 503 promptly; refresh (API and cookie), verify and
// logout go on, because a refresh reads nothing but the session record
// (roles included) and revocations live in Redis. /readyz answers 503 (as
// API.md wants while any configured store is down) with a reason naming the
// users store, and gatehouse_users_store_up says 0; once PostgreSQL is
// back, login and signup work again by themselves.
func TestPostgresDownWhileRedisHoldsSessions(t *testing.T) {
	p := testenv.StartPostgres(t)
	r := testenv.StartRedis(t)
	c := privatePostgres(t, p)
	oldPG, oldRedis := pgTimeout, redisTimeout
	pgTimeout, redisTimeout = failTimeout, failTimeout
	defer func() { pgTimeout, redisTimeout = oldPG, oldRedis }()
	c.RedisURL = "redis://" + r.Addr + "/0"
	a, err := Open(context.Background(), c, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	if _, err := a.Service.CreateUser(ctx, "alice", "correct horse battery", []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateUser(ctx, "bob", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	alice := httpLogin(t, srv.URL, "alice", "")
	aliceWeb := httpLogin(t, srv.URL, "alice", "cookie")
	bob := httpLogin(t, srv.URL, "bob", "jwt-cookie")

	p.Stop(t)
	for deadline := time.Now().Add(15 * time.Second); usersStoreUpGauge(t, a) != 0; {
		a.CheckStore(ctx)
		if time.Now().After(deadline) {
			t.Fatal("gatehouse_users_store_up never went 0 with PostgreSQL stopped")
		}
		time.Sleep(20 * time.Millisecond) // polling a real process
	}
	// API.md: /readyz is 200 only while every configured store answers;
	// the reason names the users store and what goes on.
	if code, body := get(t, srv.URL+"/readyz", ""); code != 503 || !strings.Contains(body["message"], "users store") || storeUpGauge(t, a) != 0 {
		t.Errorf("PostgreSQL (users) down, Redis up: readyz %d %v, gatehouse_store_up %v; want 503 naming the users store, 0", code, body, storeUpGauge(t, a))
	}

	expectCode(t, "login", promptly(t, "login", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/login", map[string]string{"username": "bob", "password": "correct horse battery"}, nil)
	}), 503, "unavailable")
	expectCode(t, "signup", promptly(t, "signup", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/signup", map[string]string{"username": "carol", "password": "correct horse battery"}, nil)
	}), 503, "unavailable")

	res := promptly(t, "refresh", func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": alice.refresh}, nil)
	})
	expectCode(t, "refresh with PostgreSQL down", res, 200, "")
	next := jsonBody(res)
	who, err := a.Service.Authenticate(next["access_token"])
	if err != nil {
		t.Fatalf("the refreshed access token: %v", err)
	}
	if len(who.Roles) != 1 || who.Roles[0] != "admin" {
		t.Errorf("refreshed token's roles %v, want [admin] (from the session record)", who.Roles)
	}
	expectCode(t, "verify the refreshed token", do(t, "GET", srv.URL+"/v1/verify", nil, bearer(next["access_token"])), 200, "")
	res = do(t, "POST", srv.URL+"/v1/token/refresh", map[string]string{}, bob.withCookies)
	expectCode(t, "jwt-cookie refresh with PostgreSQL down", res, 200, "")
	if clearsCookies(res) {
		t.Errorf("the refresh cleared cookies: %v", res.Header["Set-Cookie"])
	}
	expectCode(t, "cookie session's verify with PostgreSQL down",
		do(t, "GET", srv.URL+"/v1/verify", nil, aliceWeb.withCookies), 200, "")
	expectCode(t, "session listing with PostgreSQL down",
		do(t, "GET", srv.URL+"/v1/sessions", nil, bearer(next["access_token"])), 200, "")
	expectCode(t, "/v1/me (reads the user) with PostgreSQL down", promptly(t, "me", func() *http.Response {
		return do(t, "GET", srv.URL+"/v1/me", nil, bearer(next["access_token"]))
	}), 503, "unavailable")
	expectCode(t, "logout with PostgreSQL down",
		do(t, "POST", srv.URL+"/v1/logout", map[string]string{}, bearer(next["access_token"])), 204, "")
	expectCode(t, "verify after that logout", do(t, "GET", srv.URL+"/v1/verify", nil, bearer(next["access_token"])), 401, "")

	p.Start(t)
	for deadline := time.Now().Add(15 * time.Second); usersStoreUpGauge(t, a) != 1; {
		a.CheckStore(ctx)
		if time.Now().After(deadline) {
			t.Fatal("gatehouse_users_store_up never came back to 1")
		}
		time.Sleep(20 * time.Millisecond) // polling a real process
	}
	expectCode(t, "login after PostgreSQL is back", retry503(t, func() *http.Response {
		return do(t, "POST", srv.URL+"/v1/login", map[string]string{"username": "bob", "password": "correct horse battery"}, nil)
	}), 200, "")
	expectCode(t, "signup after PostgreSQL is back", do(t, "POST", srv.URL+"/v1/signup",
		map[string]string{"username": "carol", "password": "correct horse battery"}, nil), 201, "")
}
