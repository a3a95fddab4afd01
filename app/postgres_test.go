package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/token"
)

// postgresNode is a node's config on the test server's schema, with its own
// data dir and the cluster's master key (every node must have the same one).
func postgresNode(t testing.TB, url, schema string) config.Config {
	c := testenv.Config(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	c.PostgresURL = url + sep + "search_path=" + schema
	c.MasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	return c
}

// TestNodesOnPostgres: two nodes with their own data dirs on one
// PostgreSQL schema form one service: a user created on A logs in on A,
// refreshes on B, a spent token is reuse on A, and a logout on B is refused
// on A after A reads the revocation log (the one-second sync; no tick
// here, the test calls it). Both publish the same signing key.
func TestNodesOnPostgres(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	ctx := context.Background()
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	a, err := Open(ctx, postgresNode(t, url, schema), quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, postgresNode(t, url, schema), quietLog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ka, kb := a.Keys.Ring().Signer().ID, b.Keys.Ring().Signer().ID; ka != kb {
		t.Errorf("nodes sign with %s and %s: not one key set", ka, kb)
	}
	if got := a.Describe(); got[1] != "postgres" || strings.Contains(got[3].(string), "password") {
		t.Errorf("startup line: %v", got)
	}
	if _, err := a.Service.CreateUser(ctx, "pgnode", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	cl := authn.Client{IP: "192.0.2.9"}
	p1, err := a.Service.Login(ctx, authn.LoginInput{Username: "pgnode", Password: "correct horse battery", Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute) // past the reuse grace
	p2, err := b.Service.Refresh(ctx, p1.RefreshToken, cl)
	if err != nil {
		t.Fatalf("refresh on B of A's login: %v", err)
	}
	clk.Add(time.Minute)
	if _, err := a.Service.Refresh(ctx, p1.RefreshToken, cl); !errors.Is(err, authn.ErrReused) {
		t.Fatalf("B's spent token presented on A: %v, want ErrReused", err)
	}
	// The reuse ended the session; log in again and log out on B.
	p3, err := a.Service.Login(ctx, authn.LoginInput{Username: "pgnode", Password: "correct horse battery", Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.Authenticate(p3.AccessToken); err != nil {
		t.Fatalf("fresh token on A: %v", err)
	}
	pr, err := b.Service.Authenticate(p3.AccessToken)
	if err != nil {
		t.Fatalf("A's token on B: %v", err)
	}
	if err := b.Service.Logout(ctx, pr, authn.ScopeLocal, cl); err != nil {
		t.Fatal(err)
	}
	a.syncRevocations(ctx)
	if _, err := a.Service.Authenticate(p3.AccessToken); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("token logged out on B, on A after the sync: %v, want ErrRevoked", err)
	}
	a.syncRevocations(ctx)
	if _, err := a.Service.Authenticate(p2.AccessToken); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("token of the reused session on A: %v, want ErrRevoked", err)
	}
}

// TestPostgresWithAnotherMasterKeyRefused: a node started with a master key
// other than the cluster's refuses to start, naming the store (without its
// password) rather than a SQLite file.
func TestPostgresWithAnotherMasterKeyRefused(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	ctx := context.Background()
	c := postgresNode(t, url, schema)
	a, err := Open(ctx, c, quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	c2 := postgresNode(t, url, schema)
	c2.MasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	_, err = Open(ctx, c2, quietLog(), nil)
	if err == nil || !strings.Contains(err.Error(), "master key does not open the keys in postgres://") {
		t.Fatalf("Open with another master key = %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://gh:s3cret@db:5432/auth?sslmode=verify-full": "postgres://gh@db:5432/auth?sslmode=verify-full",
		"postgres://db/auth?password=s3cret":                    "postgres://db/auth?password=xxxxx",
		"host=db password=s3cret":                               "postgres (DSN)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPostgresPushesRevocationsToOtherNodes: with the periodic sync an hour
// away on both nodes, a logout on A reaches B through LISTEN/NOTIFY: B
// refuses the token within 100 ms of the logout's commit.
func TestPostgresPushesRevocationsToOtherNodes(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var nodes []*App
	for range 2 {
		n, err := Open(ctx, postgresNode(t, url, schema), quietLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		n.syncEvery = time.Hour
		done := make(chan struct{})
		go func() { defer close(done); n.Background(ctx) }()
		defer func() { cancel(); <-done }()
		nodes = append(nodes, n)
	}
	a, b := nodes[0], nodes[1]
	if _, err := a.Service.CreateUser(ctx, "pushed", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	tok := login(t, a, "pushed")
	p, err := b.Service.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	sub := b.Revoked.Subscribe(4)
	defer sub.Close()
	if err := a.Service.Logout(ctx, p, authn.ScopeLocal, authn.Client{IP: "192.0.2.9"}); err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	select {
	case r := <-sub.C():
		if r.SessionID != p.SessionID {
			t.Fatalf("B got %+v, want the revocation of %s", r, p.SessionID)
		}
	case <-time.After(30 * time.Second): // a bound for a stuck test, not a wait
		t.Fatal("the logout on A never reached B without a tick")
	}
	// Arriving at all proves the push (the tick is an hour away); how fast
	// is a load-run figure (docs/benchmarks.md), not a unit-test bound.
	t.Logf("the logout on A reached B after %v", time.Since(committed))
	if _, err := b.Service.Authenticate(tok); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("token logged out on A, on B: %v, want ErrRevoked", err)
	}
}
