package redisstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// TestAWriteThatTimedOutOnAPausedRedisChangesNothing: a login and a
// logout sent to a stopped Redis (SIGSTOP) fail as store.ErrUnavailable
// ("nothing was changed"), and once Redis resumes neither shows: the
// commands left in Redis's socket run then, and must see that their
// caller gave up (deadline.lua). Before it, the login's session appeared
// after the fact.
func TestAWriteThatTimedOutOnAPausedRedisChangesNothing(t *testing.T) {
	r := testenv.StartRedis(t)
	users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The caller's deadline is shorter than the store's timeout (which also
	// bounds how long the client waits before it drops a silent
	// connection): the connection stays up, and the commands are still in
	// Redis's socket when it resumes.
	s, err := redisstore.Open(t.Context(), "redis://"+r.Addr+"/0", users, redisstore.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "s1", 0)

	r.Pause(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	_, err = s.EndSessions(ctx, "u1", []string{"s1"}, "logout", t0, t0.Add(time.Hour))
	cancel()
	ctx, cancel = context.WithTimeout(t.Context(), 150*time.Millisecond)
	lerr := login(s, ctx, "u1", "s2", 0)
	cancel()
	r.Resume(t)
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(lerr, store.ErrUnavailable) {
		t.Fatalf("EndSessions, CreateSession with Redis stopped: %v, %v; want ErrUnavailable", err, lerr)
	}
	var got error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		// Once a read answers, the queued logout has run (one connection,
		// commands in order).
		if _, got = s.Session(t.Context(), "u1", "s1"); !errors.Is(got, store.ErrUnavailable) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling a real server's recovery, not a test clock
	}
	if got != nil {
		t.Fatalf("after Redis resumed, the session is %v: the logout that answered 'unavailable' ran late", got)
	}
	if _, err := s.Session(t.Context(), "u1", "s2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after Redis resumed, the login that answered 'unavailable': %v, want ErrNotFound (it must not run late)", err)
	}
}
