package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/gatehouse/gatehouse/store/storetest"
)

func open(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	})
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "gatehouse.db")
	s := open(t, path)
	if err := s.CreateUser(t.Context(), store.User{ID: "u1", Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), got, want)
		}
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s := open(t, path)
	u := store.User{ID: "u1", Username: "alice", Roles: []string{"admin"}, CreatedAt: time.Unix(1, 0)}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s = open(t, path)
		got, err := s.UserByName(t.Context(), "ALICE")
		if err != nil || got.ID != "u1" || len(got.Roles) != 1 {
			t.Fatalf("after reopen: %+v, %v", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != version {
		t.Errorf("schema_version: %d rows for version %d; a migration ran twice", rows, version)
	}
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			s, err := sqlitestore.Open(context.Background(), path)
			if err == nil {
				err = s.CreateUser(context.Background(), store.User{ID: fmt.Sprint(i), Username: fmt.Sprint("user", i)})
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
	s := open(t, path)
	if us, err := s.ListUsers(t.Context(), 0); err != nil || len(us) != len(errs) {
		t.Errorf("ListUsers = %d users, %v; want %d", len(us), err, len(errs))
	}
}

func TestClosedStoreReturnsErrors(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, now := t.Context(), time.Now()
	gen := func() ([]byte, error) { return []byte("x"), nil }
	calls := map[string]func() error{
		"Ping":       func() error { return s.Ping(ctx) },
		"CreateUser": func() error { return s.CreateUser(ctx, store.User{ID: "u", Username: "u"}) },
		"UserByID":   func() error { _, err := s.UserByID(ctx, "u"); return err },
		"ListUsers":  func() error { _, err := s.ListUsers(ctx, 0); return err },
		"CreateSession": func() error {
			_, err := s.CreateSession(ctx, store.CreateSession{Session: store.Session{ID: "s", RefreshGen: 1}, RefreshHash: []byte("h")})
			return err
		},
		"RotateRefresh": func() error { _, err := s.RotateRefresh(ctx, store.Rotate{PresentedHash: []byte("h")}); return err },
		"Session":       func() error { _, err := s.Session(ctx, "s"); return err },
		"Revocations":   func() error { _, err := s.Revocations(ctx, now, 0); return err },
		"Sweep":         func() error { _, err := s.Sweep(ctx, now, 0); return err },
		"ListKeys":      func() error { _, err := s.ListKeys(ctx); return err },
		"Secret":        func() error { _, err := s.Secret(ctx, "n", gen); return err },
		"Take":          func() error { _, _, err := s.Take(ctx, "k", 1, 1, now); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a closed store: %v, want ErrUnavailable", name, err)
		}
	}
}
