package redisstore_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/redis/rueidis"
)

// TestClusterEpochLayout: each block's copy of the epoch lies in its block
// of slots (the package's CRC16 agrees with CLUSTER KEYSLOT), and each of
// the three primaries holds copies.
func TestClusterEpochLayout(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	s := openCluster(t, rc, sqliteUsers(t))
	keys := redisstore.EpochKeys(s)
	if len(keys) != 1+redisstore.EpochBlocks {
		t.Fatalf("%d epoch keys, want 1 + %d", len(keys), redisstore.EpochBlocks)
	}
	held := map[string]int{}
	seen := map[string]bool{}
	for b, k := range keys[1:] {
		if seen[k] {
			t.Errorf("block %d: key %s twice", b, k)
		}
		seen[k] = true
		slot := rc.Slot(t, k)
		if slot/redisstore.EpochBlockSlots != b {
			t.Errorf("block %d: %s is in slot %d", b, k, slot)
		}
		held[rc.Owner(t, slot).Addr]++
	}
	for _, n := range rc.Nodes {
		if held[n.Addr] == 0 {
			t.Errorf("primary %s holds no copy of the epoch", n.Addr)
		}
	}
	t.Logf("copies per primary: %v", held)
}

// TestClusterEpoch: two stores on one Cluster agree on the epoch; a copy
// that differs is brought back to the main key's value (no new epoch); a
// missing copy, a missing main key and a primary (not the log's)
// restarted empty each make a new epoch, which both stores then read; a
// main key without copies (a deployment from before them) is kept and
// copied.
func TestClusterEpoch(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	a := openCluster(t, rc, sqliteUsers(t))
	keys := redisstore.EpochKeys(a)
	prefix := strings.TrimSuffix(keys[0], "{r}:epoch")
	b, err := redisstore.Open(t.Context(), rc.URL(), sqliteUsers(t), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := clusterClient(t, rc)
	get := func(k string) string {
		t.Helper()
		v, err := c.Do(t.Context(), c.B().Get().Key(k).Build()).ToString()
		if err != nil && !rueidis.IsRedisNil(err) {
			t.Fatal(err)
		}
		return v
	}
	set := func(k, v string) {
		t.Helper()
		if err := c.Do(t.Context(), c.B().Set().Key(k).Value(v).Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	del := func(k string) {
		t.Helper()
		if err := c.Do(t.Context(), c.B().Del().Key(k).Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	// allHold: the main key and every copy hold the epoch id.
	allHold := func(what, id string) {
		t.Helper()
		for _, k := range keys {
			if v := get(k); !strings.HasPrefix(v, id+" ") {
				t.Fatalf("%s: %s holds %q, want epoch %s", what, k, v, id)
			}
		}
	}
	epoch := func(s *redisstore.Store, atLeast time.Time) (string, time.Time) {
		t.Helper()
		for i := 0; ; i++ { // after a restart each pooled connection fails once
			id, since, err := s.Epoch(t.Context(), atLeast)
			if err == nil {
				return id, since
			}
			if !errors.Is(err, store.ErrUnavailable) || i == 5 {
				t.Fatal(err)
			}
		}
	}

	before := time.Now().Truncate(time.Microsecond)
	id1, since1 := epoch(a, time.Time{})
	if since1.Before(before.Add(-time.Second)) || since1.After(time.Now().Add(time.Second)) {
		t.Errorf("first epoch at %v, want now (%v)", since1, before)
	}
	allHold("first epoch", id1)
	if id, since := epoch(b, time.Now().Add(time.Hour)); id != id1 || !since.Equal(since1) {
		t.Fatalf("second store: %s %v, want %s %v (atLeast only counts when creating)", id, since, id1, since1)
	}

	// A copy that differs (a node half way through writing a new epoch)
	// is written over with the main key's value.
	set(keys[7], "other 123")
	if id, _ := epoch(b, time.Time{}); id != id1 {
		t.Fatalf("with a copy differing: %s, want %s", id, id1)
	}
	allHold("after a differing copy", id1)

	// A copy missing: its primary lost it. atLeast later than now wins.
	del(keys[200])
	atLeast := time.Now().Add(time.Minute).Truncate(time.Microsecond)
	id2, since2 := epoch(a, atLeast)
	if id2 == id1 || !since2.Equal(atLeast) {
		t.Fatalf("with a copy missing: %s %v, want a new epoch at %v", id2, since2, atLeast)
	}
	allHold("after a missing copy", id2)
	if id, _ := epoch(b, time.Time{}); id != id2 {
		t.Fatalf("the other store after a missing copy: %s, want %s", id, id2)
	}

	// The main key missing (the log's primary lost its data).
	del(keys[0])
	id3, _ := epoch(b, time.Time{})
	if id3 == id2 {
		t.Fatal("with the main key missing: the same epoch")
	}
	allHold("after the main key went", id3)

	// A primary that is not the log's restarted empty.
	logPrimary := rc.Owner(t, rc.Slot(t, keys[0]))
	var victim *testenv.Redis
	for _, n := range rc.Nodes {
		if n != logPrimary {
			victim = n
		}
	}
	restart := time.Now().Truncate(time.Microsecond)
	rc.RestartEmpty(t, victim)
	id4, since4 := epoch(a, time.Time{})
	if id4 == id3 || since4.Before(restart) {
		t.Fatalf("after %s restarted empty: %s %v, want a new epoch no earlier than %v", victim.Addr, id4, since4, restart)
	}
	allHold("after a primary restarted empty", id4)
	if id, since := epoch(b, time.Time{}); id != id4 || !since.Equal(since4) {
		t.Fatalf("the other store after the restart: %s %v, want %s %v", id, since, id4, since4)
	}

	// A main key without copies: kept, and copied.
	for _, k := range keys[1:] {
		del(k)
	}
	if id, since := epoch(b, time.Time{}); id != id4 || !since.Equal(since4) {
		t.Fatalf("main key without copies: %s %v, want it kept: %s %v", id, since, id4, since4)
	}
	allHold("after copying the main key", id4)
}

// TestClusterEpochRace: eight stores find a copy missing at once. Each
// gets an epoch other than the old one (several may be made: fail closed),
// and afterwards all read one epoch, which the main key and every copy
// hold.
func TestClusterEpochRace(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	first := openCluster(t, rc, sqliteUsers(t))
	keys := redisstore.EpochKeys(first)
	prefix := strings.TrimSuffix(keys[0], "{r}:epoch")
	stores := []*redisstore.Store{first}
	for range 7 {
		s, err := redisstore.Open(t.Context(), rc.URL(), sqliteUsers(t), redisstore.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	old, _, err := first.Epoch(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c := clusterClient(t, rc)
	if err := c.Do(t.Context(), c.B().Del().Key(keys[100]).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make([]string, len(stores))
	for i, s := range stores {
		wg.Go(func() {
			id, _, err := s.Epoch(t.Context(), time.Time{})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id == old {
			t.Errorf("store %d kept the old epoch with a copy missing", i)
		}
	}
	var final string
	for i, s := range stores {
		id, _, err := s.Epoch(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && id != final {
			t.Fatalf("after the race store %d reads %s, store 0 %s", i, id, final)
		}
		final = id
	}
	for _, k := range keys {
		v, err := c.Do(t.Context(), c.B().Get().Key(k).Build()).ToString()
		if err != nil || !strings.HasPrefix(v, final+" ") {
			t.Fatalf("after the race %s holds %q %v, want epoch %s", k, v, err, final)
		}
	}
	t.Logf("ids returned in the race: %v; final %s", ids, final)
}

// clusterClient is a plain rueidis client on rc, for a test to look at
// keys directly.
func clusterClient(t *testing.T, rc *testenv.RedisCluster) rueidis.Client {
	t.Helper()
	addrs := make([]string, len(rc.Nodes))
	for i, n := range rc.Nodes {
		addrs[i] = n.Addr
	}
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// BenchmarkEpoch is one epoch check in the steady state (what every node
// does every second): one GET on one Redis, against the main key and its
// 256 copies in one pipelined round on a three-primary Cluster.
func BenchmarkEpoch(b *testing.B) {
	run := func(b *testing.B, s *redisstore.Store) {
		if _, _, err := s.Epoch(b.Context(), time.Time{}); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, _, err := s.Epoch(b.Context(), time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Redis", func(b *testing.B) {
		r := testenv.StartRedis(b)
		s, err := redisstore.Open(b.Context(), "redis://"+r.Addr+"/0", sqliteUsers(b), redisstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		run(b, s)
	})
	b.Run("Cluster", func(b *testing.B) {
		run(b, openCluster(b, testenv.StartRedisCluster(b), sqliteUsers(b)))
	})
}
