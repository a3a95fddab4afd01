package pgstore_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
)

// TestOutageFailsPromptlyAndRecovers: with the server gone, operations fail
// with ErrUnavailable within the connect timeout; with the server hanging,
// within the caller's deadline; when it is back, the pool recovers by
// itself.
func TestOutageFailsPromptlyAndRecovers(t *testing.T) {
	target, schema := testenv.PostgresSchema(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartProxy(t, u.Host)
	u.Host = p.Addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	s, err := pgstore.Open(t.Context(), u.String(), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	user := store.User{ID: "u1", Username: "outage", CreatedAt: time.Unix(1, 0)}
	if err := s.CreateUser(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	check := func(what string, bound time.Duration, want error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := s.UserByID(ctx, "u1")
		if d := time.Since(start); d > bound {
			t.Errorf("%s: UserByID took %v, want at most %v", what, d, bound)
		}
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("%s: UserByID: %v, want %v", what, err, want)
		}
		if want != nil && s.Ping(ctx) == nil {
			t.Errorf("%s: Ping succeeded", what)
		}
	}
	check("up", time.Second, nil)

	p.Cut()
	check("down", 3*time.Second, store.ErrUnavailable)
	p.Restore()
	check("back up", 3*time.Second, nil)

	p.Cut()
	p.Stall(true)
	p.Restore()
	check("hanging", 4*time.Second, store.ErrUnavailable)
	p.Cut()
	p.Stall(false)
	p.Restore()
	check("back from hanging", 3*time.Second, nil)
}

// TestOperationTimeout: with the server hanging and a caller that brings
// no deadline at all (a background context), every operation still ends
// with ErrUnavailable after Options.Timeout instead of waiting on the
// socket for as long as the kernel keeps it.
func TestOperationTimeout(t *testing.T) {
	target, schema := testenv.PostgresSchema(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartProxy(t, u.Host)
	u.Host = p.Addr
	const bound = 300 * time.Millisecond
	s, err := pgstore.Open(t.Context(), u.String(), pgstore.Options{Schema: schema, Timeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p.Cut()
	p.Stall(true)
	p.Restore()
	defer p.Cut() // before Close: a hanging connection would hold it up
	done := make(chan error, 1)
	go func() {
		_, err := s.RotateRefresh(context.Background(), store.Rotate{SessionID: "s", Gen: 1, Now: time.Unix(1, 0)})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("RotateRefresh on a hanging server: %v, want ErrUnavailable", err)
		}
	case <-time.After(30 * time.Second): // a bound for a stuck test: without Timeout it never returns
		t.Fatal("RotateRefresh on a hanging server with no caller deadline did not return")
	}
}
