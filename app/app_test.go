package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/internal/testenv"
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
