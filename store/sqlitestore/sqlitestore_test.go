package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestConformance runs the suite.
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
	if rows != migrationCount(t) {
		t.Errorf("schema_version: %d rows for version %d; a migration ran twice", rows, version)
	}
}

// TestMigratesVersion1 opens a database left at schema version 1 (0001 only,
// with data) and checks that Open brings it to the newest version, keeping
// the data.
func TestMigratesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER NOT NULL)`,
		string(v1),
		`INSERT INTO schema_version (version) VALUES (1)`,
		`INSERT INTO users (id, username, username_key, password_hash, roles, created_at, updated_at)
			VALUES ('u1', 'Alice', 'alice', 'h', '["admin"]', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	ctx, now := t.Context(), time.Unix(1000, 0)
	if u, err := s.UserByName(ctx, "alice"); err != nil || u.ID != "u1" || len(u.Roles) != 1 {
		t.Fatalf("user after migration: %+v, %v", u, err)
	}
	c := store.Challenge{Hash: []byte("h"), UserID: "u1", ExpiresAt: now.Add(time.Minute)}
	if err := s.AddChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeChallenge(ctx, c.UserID, c.Hash, now); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(ctx, []store.Event{{ID: "e1", UserID: "u1", Type: "t", CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if es, err := s.UserEvents(ctx, "u1", "", 0); err != nil || len(es) != 1 {
		t.Fatalf("UserEvents after migration: %d events, %v", len(es), err)
	}
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if version < 2 || rows != migrationCount(t) {
		t.Errorf("schema_version: %d rows, version %d; want every version from 1, at least 2", rows, version)
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
			_, err := s.CreateSession(ctx, store.CreateSession{Session: store.Session{ID: "s", RefreshGen: 1, RefreshHash: []byte("h")}})
			return err
		},
		"RotateRefresh": func() error {
			_, err := s.RotateRefresh(ctx, store.Rotate{UserID: "u", SessionID: "s", Gen: 1, PresentedHash: []byte("h")})
			return err
		},
		"Session":     func() error { _, err := s.Session(ctx, "u", "s"); return err },
		"Revocations": func() error { _, err := s.Revocations(ctx, now, 0); return err },
		"Sweep":       func() error { _, err := s.Sweep(ctx, now, 0); return err },
		"ListKeys":    func() error { _, err := s.ListKeys(ctx); return err },
		"Secret":      func() error { _, err := s.Secret(ctx, "n", gen); return err },
		"Take":        func() error { _, _, err := s.Take(ctx, []store.Bucket{{Key: "k", Rate: 1, Burst: 1}}, now); return err },
		"DeleteUser":  func() error { return s.DeleteUser(ctx, "u") },
		"AddChallenge": func() error {
			return s.AddChallenge(ctx, store.Challenge{Hash: []byte("h"), UserID: "u", ExpiresAt: now})
		},
		"ConsumeChallenge": func() error { _, err := s.ConsumeChallenge(ctx, "u", []byte("h"), now); return err },
		"AddEvents": func() error {
			return s.AddEvents(ctx, []store.Event{{ID: "e", UserID: "u", Type: "t", CreatedAt: now}})
		},
		"UserEvents":  func() error { _, err := s.UserEvents(ctx, "u", "", 0); return err },
		"PruneEvents": func() error { _, err := s.PruneEvents(ctx, now); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a closed store: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestMigrationMapsUsernames opens a database left at schema version 3 with
// users that collide under the PRECIS rules, and checks that migration 0004
// maps every name, keeps the older account of a collision under its name,
// renames the newer one "<name> #<id>", and never fails.
func TestMigrationMapsUsernames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{`CREATE TABLE schema_version (version INTEGER NOT NULL)`}
	for _, f := range []string{"0001_init.sql", "0002_challenges_events.sql", "0003_refresh_without_cascade.sql"} {
		b, err := os.ReadFile("migrations/" + f)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, string(b))
	}
	qs = append(qs, `INSERT INTO schema_version (version) VALUES (1), (2), (3)`)
	// id, username as signed up, created_at; username_key as the old code
	// computed it (ToLower after ToUpper).
	old := []struct {
		id, name string
		created  int
	}{
		{"u1", "Alice", 1},
		{"u2", "ａｌｉｃｅ", 2}, // fullwidth: the key of u1 now
		{"u3", "admin", 3},
		{"u4", "\u0430dmin", 4}, // Cyrillic а: a look-alike of u3
		{"u5", "John Smith", 5}, // PRECIS refuses the space: legacy key
		{"u6", "Jose\u0301", 6}, // NFD
		{"u0", "JOS\u00c9", 6},  // NFC, same time, smaller id: older
		{"u7", "ａｌｉｃｅ #u2", 0},  // the name u2 would be renamed to
	}
	for _, u := range old {
		qs = append(qs, fmt.Sprintf(`INSERT INTO users (id, username, username_key, password_hash, roles, created_at, updated_at)
			VALUES ('%s', '%s', '%s', 'h', '[]', %d, %d)`, u.id, u.name, strings.ToLower(strings.ToUpper(u.name)), u.created, u.created))
	}
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	ctx := t.Context()
	for _, tc := range []struct{ login, id, username string }{
		{"ALICE", "u1", "alice"},
		{"ａｌｉｃｅ", "u1", "alice"},
		{"ａｌｉｃｅ #u2", "u7", "ａｌｉｃｅ #u2"},
		{"ａｌｉｃｅ #u2#", "u2", "ａｌｉｃｅ #u2#"},
		{"admin", "u3", "admin"},
		{"\u0430dmin", "u4", "\u0430dmin"},
		{"john smith", "u5", "John Smith"},
		{"jose\u0301", "u0", "jos\u00e9"},
		{"jose\u0301 #u6", "u6", "Jose\u0301 #u6"},
	} {
		u, err := s.UserByName(ctx, tc.login)
		if err != nil || u.ID != tc.id || u.Username != tc.username {
			t.Errorf("UserByName(%q) = %q %q, %v; want %q %q", tc.login, u.ID, u.Username, err, tc.id, tc.username)
		}
	}
	// The older of two look-alikes holds the skeleton new names are checked
	// against; so does every renamed account.
	for _, name := range []string{"adrnin", "\u0430lice", "john smith", "J\u03bfse\u0301"} {
		err := s.CreateUser(ctx, store.User{ID: "new-" + name, Username: name})
		if !errors.Is(err, store.ErrUserExists) {
			t.Errorf("CreateUser(%q) after migration: %v, want ErrUserExists", name, err)
		}
	}
	if err := s.CreateUser(ctx, store.User{ID: "u8", Username: "bob"}); err != nil {
		t.Errorf("CreateUser(bob) after migration: %v", err)
	}
}
