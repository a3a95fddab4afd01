package client_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/openapi/openapitest"
)

const adminToken = "test-admin-token-0123456789abcdef012345"

// server is a real Gatehouse node (SQLite in a temp dir) behind httptest,
// on an injected clock. It counts refresh requests, and every exchange is
// held to the OpenAPI document when the test ends (openapitest.Handler):
// these end-to-end tests are the real traffic the document is checked
// against.
type server struct {
	t         *testing.T
	url       string
	clock     *testenv.Clock
	refreshes atomic.Int64
}

func start(t *testing.T, mutate func(*config.Config)) *server {
	t.Helper()
	// The issuer is the server's real URL: DPoP proofs name it in htu
	// (Gatehouse checks them against its --issuer origin).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.Issuer = "http://" + ln.Addr().String()
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
	h := openapitest.Handler(t, a.Handler())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token/refresh" {
			s.refreshes.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.url = srv.URL
	t.Cleanup(func() { srv.Close(); a.Close() })
	return s
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
