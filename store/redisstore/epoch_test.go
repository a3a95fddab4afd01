package redisstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/redis/rueidis"
)

// TestEpoch: two stores on one Redis agree on its epoch, whose time is no
// later than now (Redis's start); once the data is gone (FLUSHALL) the next
// caller creates a new epoch, no earlier than the atLeast it passes, and
// the other store then reads the same new one.
func TestEpoch(t *testing.T) {
	r := testenv.StartRedis(t)
	open := func() *redisstore.Store {
		users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := redisstore.Open(t.Context(), "redis://"+r.Addr+"/0", users, redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	id1, since1, err := a.Epoch(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if since1.After(time.Now()) || since1.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("first epoch's time %v: want Redis's start, just now", since1)
	}
	if id, since, err := b.Epoch(t.Context(), time.Now().Add(time.Hour)); err != nil || id != id1 || !since.Equal(since1) {
		t.Fatalf("second store: %q %v %v; want the same epoch %q %v (atLeast only counts when creating)", id, since, err, id1, since1)
	}

	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Do(t.Context(), c.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	atLeast := time.Now().Add(time.Minute).Truncate(time.Microsecond)
	id2, since2, err := b.Epoch(t.Context(), atLeast)
	if err != nil || id2 == id1 || !since2.Equal(atLeast) {
		t.Fatalf("after FLUSHALL: %q %v %v; want a new id at %v", id2, since2, err, atLeast)
	}
	if id, _, err := a.Epoch(t.Context(), time.Time{}); err != nil || id != id2 {
		t.Fatalf("the other store after FLUSHALL: %q %v; want %q", id, err, id2)
	}
}
