package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// server is a real Gatehouse node on 127.0.0.1 with an injected clock, plus
// the test's own pages under /e2e/ (same origin) and a count of refreshes
// that reached it.
type server struct {
	url       string
	app       *app.App
	clock     *testenv.Clock
	refreshes atomic.Int64
	mu        sync.Mutex
	logouts   []int // statuses of POST /v1/logout answers
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// logoutStatuses are the statuses of every POST /v1/logout so far.
func (s *server) logoutStatuses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.logouts...)
}

const password = "correct horse battery"

func startServer(t *testing.T, mutate func(*config.Config)) *server {
	t.Helper()
	c := testenv.Config(t)
	c.RateUserBurst, c.RateIPBurst = 0, 0
	if mutate != nil {
		mutate(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{app: a, clock: clk}
	gatehouse := a.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("/e2e/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>e2e</title><p id="ok">ok</p>`)
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token/refresh" {
			s.refreshes.Add(1)
		}
		if r.URL.Path != "/v1/logout" {
			gatehouse.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		gatehouse.ServeHTTP(rec, r)
		s.mu.Lock()
		s.logouts = append(s.logouts, rec.status)
		s.mu.Unlock()
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); a.Close() })
	s.url = srv.URL
	return s
}

func (s *server) user(t *testing.T, name string) {
	t.Helper()
	if _, err := s.app.Service.CreateUser(context.Background(), name, password, nil); err != nil {
		t.Fatal(err)
	}
}

// attacker serves one HTML page at listen (another port of 127.0.0.1 is
// another origin of the same site; 127.0.0.2 is another site).
func attacker(t *testing.T, listen, page string) string {
	t.Helper()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// open navigates the tab to the server's blank test page (same origin).
func (s *server) open(t *testing.T, tab context.Context) {
	t.Helper()
	testenv.Do(t, tab, chromedp.Navigate(s.url+"/e2e/"), chromedp.WaitVisible(chromedp.ID("ok")))
}

// jsLogin logs the tab's device in through the JSON API, from the page.
func jsLogin(t *testing.T, tab context.Context, name, delivery string) map[string]any {
	t.Helper()
	return testenv.Eval[map[string]any](t, tab, `fetch("/v1/login", {method: "POST",
		headers: {"Content-Type": "application/json"},
		body: JSON.stringify({username: `+jsString(name)+`, password: `+jsString(password)+`, delivery: `+jsString(delivery)+`})
	}).then(r => r.json().then(b => ({status: r.status, ...b})))`)
}

// status fetches path from the tab's page and returns the HTTP status.
func status(t *testing.T, tab context.Context, path string) int {
	t.Helper()
	return testenv.Eval[int](t, tab, `fetch(`+jsString(path)+`).then(r => r.status)`)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
