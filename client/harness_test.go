package client_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

const adminToken = "test-admin-token-0123456789abcdef012345"

// server is a real Gatehouse node (SQLite in a temp dir) behind httptest,
// on an injected clock. It counts refresh requests and records every
// exchange, which checkExchanges validates against the OpenAPI document
// when the test ends.
type server struct {
	t         *testing.T
	url       string
	clock     *testenv.Clock
	refreshes atomic.Int64
	mu        sync.Mutex
	exchanges []exchange
}

// exchange is one request and its answer, as the server sent it.
type exchange struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func start(t *testing.T, mutate func(*config.Config)) *server {
	t.Helper()
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.Issuer = "http://gatehouse.test"
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
	s := &server{t: t, clock: clk}
	h := a.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token/refresh" {
			s.refreshes.Add(1)
		}
		rec := &recorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		s.mu.Lock()
		s.exchanges = append(s.exchanges, exchange{r.Method, r.URL.Path, rec.status, w.Header().Clone(), rec.body.Bytes()})
		s.mu.Unlock()
	}))
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		a.Close()
		if !t.Failed() {
			checkExchanges(t, s.recorded())
		}
	})
	return s
}

func (s *server) recorded() []exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]exchange(nil), s.exchanges...)
}

type recorder struct {
	http.ResponseWriter
	status  int
	written bool
	body    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.written {
		r.status, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.written = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// newClient is a client of s with the admin token.
func (s *server) newClient(opts ...client.Option) *client.Client {
	return client.New(s.url, append([]client.Option{client.WithAdminToken(adminToken)}, opts...)...)
}

const pw = "correct horse battery"

// loggedIn signs up name and logs a new client in as it.
func (s *server) loggedIn(name string, opts ...client.Option) (*client.Client, string) {
	s.t.Helper()
	ctx := context.Background()
	c := s.newClient(opts...)
	u, err := c.Signup(ctx, name, pw)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := c.Login(ctx, name, pw); err != nil {
		s.t.Fatal(err)
	}
	return c, u.ID
}
