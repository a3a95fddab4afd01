package redisstore_test

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// TestAPausedRedisIsUnavailablePromptlyAndRecovers: with its Redis stopped
// (SIGSTOP: connections stay open, nothing answers) a store call fails
// with store.ErrUnavailable within its timeout instead of hanging, and once
// Redis runs again the store works without being reopened.
func TestAPausedRedisIsUnavailablePromptlyAndRecovers(t *testing.T) {
	addr, proc := startRedisProc(t, "port")
	users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	s, err := redisstore.Open(t.Context(), "redis://"+addr+"/0", users, redisstore.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "s1", 0)

	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			proc.Signal(syscall.SIGCONT)
		}
	}()
	start := time.Now()
	_, err = s.Session(t.Context(), "u1", "s1")
	if took := time.Since(start); !errors.Is(err, store.ErrUnavailable) || took > 5*timeout {
		t.Errorf("Session with Redis stopped: %v after %v, want ErrUnavailable within about %v", err, took, timeout)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping with Redis stopped: %v, want ErrUnavailable", err)
	}

	if err := proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, last = s.Session(t.Context(), "u1", "s1"); last == nil {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a real server's recovery, not a test clock
	}
	t.Fatalf("the store did not recover after Redis resumed: %v", last)
}
