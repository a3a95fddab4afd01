package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// exampleServer starts a throwaway Gatehouse for the examples; a real
// program passes its server's URL to client.New instead.
func exampleServer() (url string, clock *testenv.Clock, stop func()) {
	dir, err := os.MkdirTemp("", "gatehouse-example")
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	c := config.Defaults()
	c.DataDir = dir
	c.Issuer = "http://" + ln.Addr().String() // DPoP proofs name the issuer's origin
	c.Argon2Memory, c.Argon2Time = 64, 1
	c.AdminToken = adminToken
	clock = testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	return srv.URL, clock, func() { srv.Close(); a.Close(); os.RemoveAll(dir) }
}

func Example() {
	url, _, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c := client.New(url)
	if _, err := c.Signup(ctx, "alice", "correct horse battery"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.Login(ctx, "alice", "correct horse battery"); err != nil {
		fmt.Println(err)
		return
	}
	me, err := c.Me(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(me.User.Username, me.Session.Current)

	_, err = c.Login(ctx, "alice", "wrong password")
	fmt.Println(errors.Is(err, client.ErrInvalidCredentials))
	// Output:
	// alice true
	// true
}

// The Transport refreshes an expired access token by itself, once for all
// concurrent requests, and retries.
func ExampleTransport() {
	url, clock, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c := client.New(url)
	_, _ = c.Signup(ctx, "bob", "correct horse battery")
	first, _ := c.Login(ctx, "bob", "correct horse battery")
	clock.Add(time.Hour) // the 15-minute access token has expired

	me, err := c.Me(ctx) // 401 token_expired → refresh → retry
	if err != nil {
		fmt.Println(err)
		return
	}
	now, _ := c.Tokens().Load(ctx)
	fmt.Println(me.User.Username, now.AccessToken != first.AccessToken)
	// Output: bob true
}

// After a logout, or when the session ended elsewhere, calls end in
// ErrLoggedOut once the access token expires.
func ExampleErrLoggedOut() {
	url, clock, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c := client.New(url, client.WithAdminToken(adminToken))
	u, _ := c.Signup(ctx, "carol", "correct horse battery")
	_, _ = c.Login(ctx, "carol", "correct horse battery")
	_ = c.ForceLogout(ctx, u.ID) // an administrator ends every session
	clock.Add(time.Hour)

	_, err := c.Me(ctx)
	fmt.Println(errors.Is(err, client.ErrLoggedOut))
	// Output: true
}

// With WithDPoP the login is bound to a key the client generates and keeps
// with the tokens: every request, and the refresh, carries a proof signed
// with it, and the tokens alone are useless to a thief.
func ExampleWithDPoP() {
	url, clock, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c := client.New(url, client.WithDPoP(client.DPoPEdDSA), client.WithClock(clock.Now))
	_, _ = c.Signup(ctx, "dora", "correct horse battery")
	pair, err := c.Login(ctx, "dora", "correct horse battery")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pair.TokenType)

	clock.Add(time.Hour) // expired: the refresh is proved with the same key
	me, err := c.Me(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(me.User.Username)

	stolen, _ := c.Tokens().Load(ctx)
	thief := client.New(url, client.WithClock(clock.Now))
	_ = thief.Tokens().Save(ctx, client.Tokens{AccessToken: stolen.AccessToken, RefreshToken: stolen.RefreshToken})
	_, err = thief.Me(ctx) // the bound token as a bearer token
	fmt.Println(errors.Is(err, client.ErrInvalidToken))
	// Output:
	// DPoP
	// dora
	// true
}
