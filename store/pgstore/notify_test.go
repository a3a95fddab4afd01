package pgstore_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
)

// TestWatchRevocationsKicksOnCommitAndAfterReconnect: the watcher kicks
// once it listens, at each revocation committed by another store on the
// schema, and again after its connection is cut and restored — the kick
// that makes a node replay the log for what it missed meanwhile.
func TestWatchRevocationsKicksOnCommitAndAfterReconnect(t *testing.T) {
	target, schema := testenv.PostgresSchema(t)
	direct, err := pgstore.Open(t.Context(), target, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.StartProxy(t, u.Host)
	u.Host = p.Addr
	watched, err := pgstore.Open(t.Context(), u.String(), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer watched.Close()

	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	kicks, errs := make(chan struct{}, 64), make(chan error, 64)
	go func() {
		defer close(stopped)
		watched.WatchRevocations(ctx, func() { kicks <- struct{}{} }, func(err error) { errs <- err })
	}()
	defer func() { cancel(); <-stopped }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-kicks:
		case <-time.After(10 * time.Second): // a bound for a stuck test, not a wait
			t.Fatalf("no kick %s", what)
		}
	}
	revoke := func() {
		t.Helper()
		if _, err := direct.AddRevocation(t.Context(), store.Revocation{UserID: "u", Until: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	wait("once listening")
	revoke()
	wait("for a revocation committed by another store")

	p.Cut()
	select {
	case <-errs:
	case <-time.After(30 * time.Second): // a bound, not a wait
		t.Fatal("the watcher did not notice its connection was cut")
	}
	revoke() // committed while the watcher cannot hear it
	p.Restore()
	wait("after reconnecting (the replay of what it missed)")
}
