package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

const adminToken = "test-admin-token-0123456789abcdef012345"

// upstream is a tiny resource server recording what reached it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Clone(context.Background()))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "raw": r.URL.RawPath, "query": r.URL.RawQuery, "user": r.Header.Get("X-Auth-User-Id")})
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last(t testing.TB) *http.Request {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatal("nothing reached the upstream")
	}
	return u.seen[len(u.seen)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

type env struct {
	t     testing.TB
	url   string
	app   *app.App
	clock *testenv.Clock
	srv   *httptest.Server
}

// start runs a real node (SQLite in a temp dir) with the given routes.
func start(t testing.TB, routes []config.Route, mutate func(*http.Server)) *env {
	t.Helper()
	return startConfig(t, nil, routes, mutate)
}

// startConfig is start with more settings.
func startConfig(t testing.TB, conf func(*config.Config), routes []config.Route, mutate func(*http.Server)) *env {
	t.Helper()
	// The issuer is the node's real URL: DPoP proofs name its origin.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.Issuer = "http://" + ln.Addr().String()
	c.Routes = routes
	if conf != nil {
		conf(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	if mutate != nil {
		mutate(srv.Config)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &env{t: t, url: srv.URL, app: a, clock: clk, srv: srv}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", r.status, r.body)
	}
	return m
}

func expect(t testing.TB, r resp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		if got, _ := r.json(t)["error"].(string); got != code {
			t.Fatalf("error %q, want %q; body %s", got, code, r.body)
		}
	}
}

// do sends a request; hdr are name/value pairs, added (not set), so a
// name may repeat.
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header[hdr[i]] = append(req.Header[hdr[i]], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// user signs name up and logs in with a bearer pair: user id, access token.
func (e *env) user(name string) (uid, access string) {
	e.t.Helper()
	r := e.do("POST", "/v1/signup", map[string]string{"username": name, "password": "correct horse battery"})
	expect(e.t, r, 201, "")
	uid = r.json(e.t)["user"].(map[string]any)["id"].(string)
	r = e.do("POST", "/v1/login", map[string]string{"username": name, "password": "correct horse battery"})
	expect(e.t, r, 200, "")
	return uid, r.json(e.t)["access_token"].(string)
}

// browser logs name in with a session cookie: the Cookie header value and
// the CSRF token.
func (e *env) browser(name string) (cookie, csrf string) {
	e.t.Helper()
	r := e.do("POST", "/v1/login", map[string]string{"username": name, "password": "correct horse battery", "delivery": "cookie"})
	expect(e.t, r, 200, "")
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "__Host-gatehouse" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		e.t.Fatalf("no session cookie: %v", r.header)
	}
	return cookie, r.json(e.t)["csrf_token"].(string)
}

func (e *env) setRoles(uid string, roles ...string) {
	e.t.Helper()
	expect(e.t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", map[string]any{"roles": roles}, "Authorization", "Bearer "+adminToken), 200, "")
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func route(prefix, url string) config.Route { return config.Route{Prefix: prefix, URL: url} }

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// user2 logs an existing user in again (a new session, current roles).
func (e *env) user2(name string) (string, string) {
	e.t.Helper()
	r := e.do("POST", "/v1/login", map[string]string{"username": name, "password": "correct horse battery"})
	expect(e.t, r, 200, "")
	return "", r.json(e.t)["access_token"].(string)
}
