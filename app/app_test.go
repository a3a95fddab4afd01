package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/token"
)

// TestSweeperKeepsTheStoreBounded: expired sessions, their refresh records,
// dead revocations and old audit events are deleted by the background
// sweep, so the database does not grow without bound.
func TestSweeperKeepsTheStoreBounded(t *testing.T) {
	c := testenv.Config(t)
	c.SessionLifetime, c.IdleTimeout, c.AuditRetention = time.Hour, time.Hour, 2*time.Hour
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	a, err := Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, err := a.Service.CreateUser(ctx, "sweep", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	cl := authn.Client{IP: "192.0.2.9"}
	var pairs []authn.TokenPair
	for i := 0; i < 3; i++ {
		p, err := a.Service.Login(ctx, authn.LoginInput{Username: "sweep", Password: "correct horse battery", Client: cl})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	pr, _ := a.Service.Authenticate(pairs[0].AccessToken)
	if err := a.Service.Logout(ctx, pr, authn.ScopeLocal, cl); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Store.CountSessions(ctx); n != 2 {
		t.Fatalf("%d sessions before the sweep", n)
	}
	a.Audit.Flush(ctx)
	clk.Add(3 * time.Hour) // past lifetime, revocation lifetime and audit retention
	a.sweep(ctx)
	a.syncRevocations(ctx)
	if n, _ := a.Store.CountSessions(ctx); n != 0 {
		t.Fatalf("%d sessions after the sweep", n)
	}
	if rs, _ := a.Store.Revocations(ctx, clk.Now().Add(-24*time.Hour), 0); len(rs) != 0 {
		t.Fatalf("%d revocations left", len(rs))
	}
	if a.Revoked.Len() != 0 {
		t.Fatalf("revocation set holds %d dead entries", a.Revoked.Len())
	}
	u, _ := a.Service.UserByName(ctx, "sweep")
	if evs, _ := a.Store.UserEvents(ctx, u.ID, "", 100); len(evs) != 0 {
		t.Fatalf("%d audit events past retention", len(evs))
	}
}

// TestMetricsScrapeDoesNotQueryTheStore: /metrics reads gauges the sweeper
// maintains; it used to run COUNT(*) on every scrape, so scraping was a load
// anyone reaching /metrics could drive. Here the store is closed before the
// scrape: the scrape still answers, with the count of the last sweep.
func TestMetricsScrapeDoesNotQueryTheStore(t *testing.T) {
	c := testenv.Config(t)
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	a, err := Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, err := a.Service.CreateUser(ctx, "scrape", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := a.Service.Login(ctx, authn.LoginInput{Username: "scrape", Password: "correct horse battery", Client: authn.Client{IP: "192.0.2.7"}}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	a.sweep(ctx)
	if err := a.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, srv.URL); !strings.Contains(got, "\ngatehouse_sessions 2\n") {
		t.Fatalf("scrape with the store closed:\n%s", grepLines(got, "gatehouse_sessions"))
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// login signs name in on a and returns the access token.
func login(t *testing.T, a *App, name string) string {
	t.Helper()
	p, err := a.Service.Login(context.Background(), authn.LoginInput{Username: name, Password: "correct horse battery", Client: authn.Client{IP: "192.0.2.9"}})
	if err != nil {
		t.Fatal(err)
	}
	return p.AccessToken
}

// TestRevocationFromAnotherProcessBeforeALocalOneIsLoaded is issue 7 item
// 3 end to end: the CLI (a second process on the same data dir, its own
// store handle) resets a password, ending the user's sessions (lower
// revocation ids); then a local logout on the server writes a higher id.
// Before the fix, the local add moved the server's high-water mark past the
// CLI's revocations, the sync never loaded them, and the user's old token
// kept verifying.
func TestRevocationFromAnotherProcessBeforeALocalOneIsLoaded(t *testing.T) {
	c := testenv.Config(t)
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	server, err := Open(ctx, c, quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	for _, n := range []string{"victim", "other"} {
		if _, err := server.Service.CreateUser(ctx, n, "correct horse battery", nil); err != nil {
			t.Fatal(err)
		}
	}
	victim, other := login(t, server, "victim"), login(t, server, "other")

	cli, err := Open(ctx, c, quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := cli.Service.UserByName(ctx, "victim")
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Service.ResetPassword(ctx, u.ID, "another horse battery", authn.Client{IP: "cli"}); err != nil {
		t.Fatal(err)
	}
	cli.Close()

	p, err := server.Service.Authenticate(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Service.Logout(ctx, p, authn.ScopeLocal, authn.Client{IP: "192.0.2.9"}); err != nil {
		t.Fatal(err)
	}
	server.syncRevocations(ctx)
	if _, err := server.Service.Authenticate(victim); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("victim's token after the CLI reset: %v, want ErrRevoked", err)
	}
	if _, err := server.Service.Authenticate(other); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("logged-out token: %v, want ErrRevoked", err)
	}
}

// TestLocalRevocationReachesSubscribersWithoutATick: a logout kicks the
// sync loop, so a subscriber reads the revocation from the log at once,
// not at the next periodic sync (here an hour away).
func TestLocalRevocationReachesSubscribersWithoutATick(t *testing.T) {
	c := testenv.Config(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := Open(ctx, c, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.syncEvery = time.Hour
	if _, err := a.Service.CreateUser(ctx, "kicked", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	tok := login(t, a, "kicked")
	sub := a.Revoked.Subscribe(4)
	defer sub.Close()
	done := make(chan struct{})
	go func() { defer close(done); a.Background(ctx) }()
	defer func() { cancel(); <-done }()
	p, err := a.Service.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Service.Logout(ctx, p, authn.ScopeLocal, authn.Client{IP: "192.0.2.9"}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-sub.C():
		if r.SessionID != p.SessionID || r.ID <= sub.Start() {
			t.Fatalf("subscriber got %+v, want the revocation of %s", r, p.SessionID)
		}
	case <-time.After(30 * time.Second): // a bound for a stuck test, not a wait
		t.Fatal("the logout never reached the subscriber without a tick")
	}
}

// TestCookieCacheInvalidatedThroughTheRevocationLog: node B serves a
// browser session from its cache; a logout on node A reaches B through the
// revocation log, and B refuses the cookie on its next request after the
// sync, without a store read deciding it.
func TestCookieCacheInvalidatedThroughTheRevocationLog(t *testing.T) {
	c := testenv.Config(t)
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	nodeA, err := Open(ctx, c, quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer nodeA.Close()
	nodeB, err := Open(ctx, c, quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer nodeB.Close()
	if _, err := nodeA.Service.CreateUser(ctx, "browser", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	pair, err := nodeA.Service.Login(ctx, authn.LoginInput{Username: "browser", Password: "correct horse battery", Delivery: authn.DeliveryCookie})
	if err != nil {
		t.Fatal(err)
	}
	p, err := nodeB.Service.AuthenticateCookie(ctx, pair.CookieSecret) // warms B's cache
	if err != nil {
		t.Fatal(err)
	}
	if err := nodeA.Service.Logout(ctx, p, authn.ScopeLocal, authn.Client{}); err != nil {
		t.Fatal(err)
	}
	nodeB.syncRevocations(ctx)
	if _, err := nodeB.Service.AuthenticateCookie(ctx, pair.CookieSecret); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("cookie on node B after a logout on node A: %v, want ErrRevoked", err)
	}
}
