package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

type env struct {
	t     *testing.T
	url   string
	app   *app.App
	clock *testenv.Clock
	cfg   config.Config
}

const adminToken = "test-admin-token-0123456789abcdef012345" // at least 32 bytes (config.MinAdminTokenLen)

func testConfig(t *testing.T) config.Config {
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.Issuer = "http://gatehouse.test"
	return c
}

// start runs a real node (SQLite file in a temp dir) behind httptest.
func start(t *testing.T, mutate func(*config.Config)) *env {
	t.Helper()
	c := testConfig(t)
	if mutate != nil {
		mutate(&c)
	}
	return startWith(t, c, testenv.NewClock(time.Now().UTC().Truncate(time.Second)))
}

func startWith(t *testing.T, c config.Config, clk *testenv.Clock) *env {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(context.Background(), c, log, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(checkedHandler(t, a.Handler()))
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &env{t: t, url: srv.URL, app: a, clock: clk, cfg: c}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", r.status, r.body)
	}
	return m
}

func (r resp) str(t *testing.T, k string) string {
	t.Helper()
	s, _ := r.json(t)[k].(string)
	return s
}

// do sends a request; body may be nil, a string (sent raw) or a value (JSON).
func (e *env) do(method, path, bearer string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	return e.roundTrip(req)
}

// roundTrip sends req and reads the whole answer.
func (e *env) roundTrip(req *http.Request) resp {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

// expect asserts status and, for errors, API.md's error shape and code.
func expect(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code == "" {
		return
	}
	m := r.json(t)
	if m["error"] != code {
		t.Fatalf("error %v, want %s; body %s", m["error"], code, r.body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("error without message: %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}

type pair struct {
	Access, Refresh, Session, Device string
}

func (e *env) signup(user, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/signup", "", map[string]string{"username": user, "password": pw})
	expect(e.t, r, 201, "")
	return r.json(e.t)["user"].(map[string]any)["id"].(string)
}

func (e *env) login(user, pw string, device ...string) pair {
	e.t.Helper()
	in := map[string]string{"username": user, "password": pw}
	if len(device) > 0 {
		in["device_id"] = device[0]
	}
	r := e.do("POST", "/v1/login", "", in)
	expect(e.t, r, 200, "")
	return toPair(e.t, r)
}

func toPair(t *testing.T, r resp) pair {
	t.Helper()
	m := r.json(t)
	if m["token_type"] != "Bearer" {
		t.Fatalf("token_type %v", m["token_type"])
	}
	return pair{m["access_token"].(string), m["refresh_token"].(string), m["session_id"].(string), m["device_id"].(string)}
}

func (e *env) refresh(rt string) resp {
	e.t.Helper()
	return e.do("POST", "/v1/token/refresh", "", map[string]string{"refresh_token": rt})
}

// user signs up and logs in a fresh user.
func (e *env) user(name string) (string, pair) {
	e.t.Helper()
	id := e.signup(name, "correct horse battery")
	return id, e.login(name, "correct horse battery")
}
