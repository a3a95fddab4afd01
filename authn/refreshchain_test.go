package authn_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/store"
)

// Before the fix every rotation added a refresh-token row kept until the
// session ended, and an audit record: one account could grow the database
// without bound. Now a session is one row however often it refreshes, and
// the first token of a 10,000-long chain is still recognised as reuse.
func TestTenThousandRefreshesKeepOneRow(t *testing.T) {
	t.Parallel()
	var dir string
	s, clk := service(t, func(c *config.Config) { dir = c.DataDir; c.SessionLifetime = 30 * 24 * time.Hour })
	p := newUser(t, s, "chain")
	first, cur := p.RefreshToken, p.RefreshToken
	for i := range 10000 {
		clk.Add(time.Second)
		next, err := s.Refresh(t.Context(), cur, cli)
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		cur = next.RefreshToken
	}
	if f, ok := s.Audit.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	counts := rowCounts(t, filepath.Join(dir, "gatehouse.db"))
	if counts["sessions"] != 1 || counts["revocations"] != 0 {
		t.Errorf("rows after 10,000 refreshes: %v", counts)
	}
	// 10,000 s is under three hours: a created record and at most one
	// refreshed record per hour.
	if n := counts["events"]; n < 2 || n > 5 {
		t.Errorf("%d audit records for one session refreshed 10,000 times in 3 hours", n)
	}
	clk.Add(time.Minute)
	if _, err := s.Refresh(t.Context(), first, cli); !errors.Is(err, authn.ErrReused) {
		t.Fatalf("first token of the chain: %v, want ErrReused", err)
	}
	if _, err := s.Refresh(t.Context(), cur, cli); !errors.Is(err, authn.ErrInvalidRefresh) {
		t.Fatalf("current token after reuse: %v, want ErrInvalidRefresh", err)
	}
	if err := alive(s, p); err == nil {
		t.Fatal("access token still verifies after reuse ended the session")
	}
}

func rowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"sessions", "revocations", "events", "challenges"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// countingStore counts the store operations a use case makes.
type countingStore struct {
	store.Store
	calls atomic.Int64
}

func (c *countingStore) UserByID(ctx context.Context, id string) (store.User, error) {
	c.calls.Add(1)
	return c.Store.UserByID(ctx, id)
}

func (c *countingStore) Session(ctx context.Context, userID, id string) (store.Session, error) {
	c.calls.Add(1)
	return c.Store.Session(ctx, userID, id)
}

func (c *countingStore) RotateRefresh(ctx context.Context, in store.Rotate) (store.RotateResult, error) {
	c.calls.Add(1)
	return c.Store.RotateRefresh(ctx, in)
}

// Before the fix a refresh read the user after rotating (for roles and
// username): two round trips. DESIGN.md budgets one.
func TestRefreshIsOneStoreRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := service(t, nil)
	p := newUser(t, s, "onetrip", "reader")
	if _, err := s.SetRoles(t.Context(), p.Session.UserID, []string{"reader", "writer"}); err != nil {
		t.Fatal(err)
	}
	d := s.Deps
	cs := &countingStore{Store: d.Store}
	d.Store = cs
	s2, err := authn.New(d)
	if err != nil {
		t.Fatal(err)
	}
	next, err := s2.Refresh(t.Context(), p.RefreshToken, cli)
	if err != nil {
		t.Fatal(err)
	}
	if n := cs.calls.Load(); n != 1 {
		t.Errorf("refresh made %d store calls, want 1", n)
	}
	who, err := s2.Authenticate(next.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if who.Username != "onetrip" || len(who.Roles) != 2 || who.Roles[1] != "writer" {
		t.Errorf("refreshed token says %q %v; want the session's copy of the current roles", who.Username, who.Roles)
	}
}
