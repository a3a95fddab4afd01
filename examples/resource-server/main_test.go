package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

const feedToken = "feed-token-for-tests-0123456789abcdef"

// TestLogoutOnGatehouseReachesTheExample runs a real Gatehouse and the
// example's own run (listening on a port), and shows a user logged out on
// Gatehouse refused by the example within the 50 ms propagation bound.
func TestLogoutOnGatehouseReachesTheExample(t *testing.T) {
	c := testenv.Config(t)
	c.FeedToken = feedToken
	gh, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	go gh.Background(ctx)
	defer func() { cancel(); srv.CloseClientConnections(); srv.Close(); gh.Close() }()

	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, config{Addr: "127.0.0.1:0", Gatehouse: srv.URL, Issuer: c.IssuerOrDefault(), Audience: c.Audience, FeedToken: feedToken, StaleAfter: time.Minute},
			func(a string) { addr <- a })
	}()
	var api string
	select {
	case a := <-addr:
		api = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}

	get := func(path, bearer string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", api+path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	gc := client.New(srv.URL)
	if _, err := gc.Signup(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	pair, err := gc.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tok := pair.AccessToken
	if st, m := get("/api/whoami", tok); st != 200 || m["session_id"] != pair.SessionID {
		t.Fatalf("whoami: %d %v", st, m)
	}
	if st, m := get("/api/admin", tok); st != 403 || m["error"] != "forbidden" {
		t.Fatalf("admin route: %d %v", st, m)
	}
	if err := gc.Logout(ctx, client.ScopeLocal); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		st, m := get("/api/whoami", tok)
		if st == 401 && m["error"] == "token_revoked" {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("still %d %v a second after logout", st, m)
		}
	}
	d := time.Since(start)
	t.Logf("logout on Gatehouse → refused by the example: %v", d)
	if d > 50*time.Millisecond {
		t.Fatalf("refused after %v, want ≤ 50ms", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
