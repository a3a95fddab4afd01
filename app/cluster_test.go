package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// topology is one way to lay out the stores N nodes share. config returns,
// each time it is called, the configuration of one more node (its own data
// dir, the shared store URLs and master key); the stores it creates are
// removed when the test ends. The multi-node tests run over every row; a
// row for Redis Cluster goes here too.
type topology struct {
	name   string
	config func(t *testing.T) func() config.Config
}

var topologies = []topology{
	{"postgres", func(t *testing.T) func() config.Config {
		url, schema := testenv.PostgresSchema(t)
		return func() config.Config { return postgresNode(t, url, schema) }
	}},
	{"redis+postgres", func(t *testing.T) func() config.Config {
		url, schema := testenv.PostgresSchema(t)
		redisURL := machineRedis(t)
		return func() config.Config {
			c := postgresNode(t, url, schema)
			c.RedisURL = redisURL
			return c
		}
	}},
}

// machineRedis is testRedisURL after checking that the machine's Redis
// answers (skip, or fail under GATEHOUSE_REQUIRE_INTEGRATION=1); the key
// prefix is deleted when the test ends.
func machineRedis(t *testing.T) string {
	t.Helper()
	u := testRedisURL(t)
	base, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "unused.db"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := redisstore.Open(context.Background(), u, base, redisstore.Options{})
	if err != nil {
		base.Close()
		testenv.RequireIntegration(t, "Redis ("+err.Error()+")", "start redis-server, or set GATEHOUSE_TEST_REDIS_URL")
	}
	t.Cleanup(func() {
		if err := redisstore.DeletePrefix(context.Background(), s); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		s.Close()
	})
	return u
}

// node is a running Gatehouse node: its app with the background loops
// (store ping, revocation push/follow; the periodic sync an hour away, so
// revocations travel by push) and a real HTTP server on a port of its own.
type node struct {
	*App
	srv  *httptest.Server
	stop func()
}

func startNode(t *testing.T, c config.Config) *node {
	t.Helper()
	a, err := Open(context.Background(), c, quietLog(), nil)
	if errors.Is(err, store.ErrUnavailable) {
		testenv.RequireIntegration(t, "a store ("+err.Error()+")", "start PostgreSQL and Redis, or set GATEHOUSE_TEST_POSTGRES_URL / GATEHOUSE_TEST_REDIS_URL")
	}
	if err != nil {
		t.Fatal(err)
	}
	a.syncEvery = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Background(ctx) }()
	srv := httptest.NewServer(a.Handler())
	n := &node{App: a, srv: srv}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			srv.Close()
			cancel()
			<-done
			a.Close()
		})
	}
	t.Cleanup(n.stop)
	return n
}

func startNodes(t *testing.T, k int, config func() config.Config, edit func(*config.Config)) []*node {
	t.Helper()
	var ns []*node
	for range k {
		c := config()
		if edit != nil {
			edit(&c)
		}
		ns = append(ns, startNode(t, c))
	}
	return ns
}

// TestNodeKilledMidRefresh is issue 9 item 7's last case: a refresh reaches
// node 1 through a proxy that forwards the request and swallows the answer
// (node 1 committed the rotation; the client heard nothing), then node 1
// stops. The client retries with the same refresh token on node 2 and gets
// the very refresh token node 1 had answered (the grace replay: the
// successor is derived from the presented token, so every node derives
// the same one), and the session advanced once, not twice.
func TestNodeKilledMidRefresh(t *testing.T) {
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			ns := startNodes(t, 2, tp.config(t), nil)
			n1, n2 := ns[0], ns[1]
			ctx := context.Background()
			if _, err := n1.Service.CreateUser(ctx, "alice", "correct horse battery", nil); err != nil {
				t.Fatal(err)
			}
			s := httpLogin(t, n1.srv.URL, "alice", "")
			px := testenv.StartProxy(t, strings.TrimPrefix(n1.srv.URL, "http://"))
			px.DropResponses(true)
			cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
			res, err := cl.Post("http://"+px.Addr+"/v1/token/refresh", "application/json",
				strings.NewReader(`{"refresh_token":"`+s.refresh+`"}`))
			if err == nil {
				res.Body.Close()
				t.Fatalf("the client heard node 1's answer (%d): the proxy should have swallowed it", res.StatusCode)
			}
			lost := droppedResponse(t, px)
			if lost.StatusCode != 200 || lost.body["refresh_token"] == "" {
				t.Fatalf("node 1's swallowed answer: %d %v, want 200 with a refresh token", lost.StatusCode, lost.body)
			}
			n1.stop()

			res2 := do(t, "POST", n2.srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": s.refresh}, nil)
			body := jsonBody(res2)
			if res2.StatusCode != 200 {
				t.Fatalf("the retry on node 2: %d %v, want 200", res2.StatusCode, body)
			}
			if body["refresh_token"] != lost.body["refresh_token"] {
				t.Fatalf("node 2 answered another successor than node 1 committed:\n node 1 %s\n node 2 %s", lost.body["refresh_token"], body["refresh_token"])
			}
			who, err := n2.Service.Authenticate(body["access_token"])
			if err != nil {
				t.Fatalf("the retry's access token: %v", err)
			}
			if sess, err := n2.Store.Session(ctx, who.UserID, who.SessionID); err != nil || sess.RefreshGen != 2 {
				t.Errorf("session after one refresh and its retry: generation %d, %v; want 2", sess.RefreshGen, err)
			}
			expectCode(t, "the successor refreshes on node 2",
				do(t, "POST", n2.srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": body["refresh_token"]}, nil), 200, "")
		})
	}
}

type droppedRes struct {
	StatusCode int
	body       map[string]string
}

// droppedResponse parses the HTTP response the proxy swallowed, waiting
// (bounded) for all of it to have passed through.
func droppedResponse(t *testing.T, px *testenv.Proxy) droppedRes {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(px.Dropped())), nil)
		if err == nil {
			var b bytes.Buffer
			if _, err = b.ReadFrom(res.Body); err == nil {
				res.Body.Close()
				res.Body = http.NoBody
				return droppedRes{res.StatusCode, jsonBody(&http.Response{Body: nopCloser{&b}})}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy swallowed no complete response: %v (%q)", err, px.Dropped())
		}
		time.Sleep(10 * time.Millisecond) // polling the proxy's copy loop
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

// TestThreeNodes is issue 9 item 8: three nodes, each a real HTTP server,
// on one set of stores, per topology: a login on node 1 refreshes on node
// 2, the spent token presented on node 3 is reuse and ends the session
// everywhere, a logout on node 2 is refused on node 1 (pushed, not
// polled: the periodic sync is an hour away; the delay is logged, the
// assertion is only a generous bound), and the session limit holds across
// nodes under parallel logins, with evict-oldest and with reject.
func TestThreeNodes(t *testing.T) {
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			cfg := tp.config(t)
			t.Run("story", func(t *testing.T) {
				ns := startNodes(t, 3, cfg, func(c *config.Config) { c.RefreshReuseGrace = 0 })
				clusterStory(t, ns)
			})
			for _, overflow := range []string{"evict-oldest", "reject"} {
				t.Run("limit "+overflow, func(t *testing.T) {
					ns := startNodes(t, 3, cfg, func(c *config.Config) {
						c.MaxSessions, c.SessionOverflow = 3, overflow
						c.RateUserBurst, c.RateIPBurst = 1000, 1000
					})
					sessionLimitAcrossNodes(t, ns, "limited-"+overflow, 3, 24, overflow == "reject")
				})
			}
		})
	}
}

// clusterStory: login on 1, refresh on 2, reuse on 3, logout on 2 refused
// on 1. The nodes run with no reuse grace, so the spent token is reuse at
// once (no clock to move past it).
func clusterStory(t *testing.T, ns []*node) {
	t.Helper()
	ctx := context.Background()
	if _, err := ns[0].Service.CreateUser(ctx, "alice", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	s := httpLogin(t, ns[0].srv.URL, "alice", "")
	res := do(t, "POST", ns[1].srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": s.refresh}, nil)
	expectCode(t, "refresh on node 2 of node 1's login", res, 200, "")
	next := jsonBody(res)
	expectCode(t, "node 1's token, refreshed on node 2, verified on node 3",
		do(t, "GET", ns[2].srv.URL+"/v1/verify", nil, bearer(next["access_token"])), 200, "")
	expectCode(t, "the spent refresh token on node 3",
		do(t, "POST", ns[2].srv.URL+"/v1/token/refresh", map[string]string{"refresh_token": s.refresh}, nil), 401, "refresh_token_reused")
	for i, n := range ns {
		refusedWithin(t, fmt.Sprintf("node %d: the access token of the session ended by reuse", i+1), n, next["access_token"], time.Now())
	}

	s2 := httpLogin(t, ns[0].srv.URL, "alice", "")
	for i, n := range ns {
		expectCode(t, fmt.Sprintf("node %d: a fresh login", i+1), do(t, "GET", n.srv.URL+"/v1/verify", nil, bearer(s2.access)), 200, "")
	}
	expectCode(t, "logout on node 2", do(t, "POST", ns[1].srv.URL+"/v1/logout", map[string]string{}, bearer(s2.access)), 204, "")
	took := []time.Duration{refusedWithin(t, "node 1: the token logged out on node 2", ns[0], s2.access, time.Now())}
	for range 19 { // a few more, to log a spread rather than one sample
		s := httpLogin(t, ns[0].srv.URL, "alice", "")
		expectCode(t, "logout on node 2", do(t, "POST", ns[1].srv.URL+"/v1/logout", map[string]string{}, bearer(s.access)), 204, "")
		took = append(took, refusedWithin(t, "node 1: the token logged out on node 2", ns[0], s.access, time.Now()))
	}
	slices.Sort(took)
	t.Logf("node 2 logout answered -> refused on node 1, %d logouts: p50 %v, max %v (goal 50 ms; polled over HTTP, so an upper bound)",
		len(took), took[len(took)/2], took[len(took)-1])
}

// refusedWithin polls n's /v1/verify until it refuses tok and returns how
// long that took from since. The bound (10 s) only catches a revocation
// that never arrives; the delay itself is logged, not asserted.
func refusedWithin(t *testing.T, what string, n *node, tok string, since time.Time) time.Duration {
	t.Helper()
	for {
		res := do(t, "GET", n.srv.URL+"/v1/verify", nil, bearer(tok))
		if res.StatusCode == 401 {
			return time.Since(since)
		}
		if time.Since(since) > 10*time.Second {
			t.Fatalf("%s: still %d after 10 s", what, res.StatusCode)
		}
		time.Sleep(time.Millisecond) // polling another node's push
	}
}

// sessionLimitAcrossNodes runs k logins of one user at once, spread over
// the nodes, with the limit max: afterwards exactly max sessions are live;
// with reject exactly max logins succeeded and the others got 409
// session_limit, with evict-oldest every login succeeded.
func sessionLimitAcrossNodes(t *testing.T, ns []*node, user string, max, k int, reject bool) {
	t.Helper()
	ctx := context.Background()
	u, err := ns[0].Service.CreateUser(ctx, user, "correct horse battery", nil)
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]int, k)
	errs := make([]string, k)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := http.Post(ns[i%len(ns)].srv.URL+"/v1/login", "application/json",
				strings.NewReader(`{"username":"`+user+`","password":"correct horse battery"}`))
			if err != nil {
				errs[i] = err.Error()
				return
			}
			codes[i] = res.StatusCode
			errs[i] = jsonBody(res)["error"]
			res.Body.Close()
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch {
		case c == 200:
			ok++
		case reject && c == 409 && errs[i] == "session_limit":
		default:
			t.Errorf("login %d on node %d: %d %s", i, i%len(ns)+1, c, errs[i])
		}
	}
	want := k
	if reject {
		want = max
	}
	if ok != want {
		t.Errorf("%d of %d parallel logins succeeded, want %d", ok, k, want)
	}
	sess, err := ns[0].Store.UserSessions(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	live := slices.DeleteFunc(sess, func(s store.Session) bool { return !s.Live(time.Now(), ns[0].Config.IdleTimeout) })
	if len(live) != max {
		t.Errorf("%d live sessions after %d parallel logins on %d nodes, want exactly %d", len(live), k, len(ns), max)
	}
}
