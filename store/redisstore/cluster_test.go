package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/gatehouse/gatehouse/store/storetest"
)

// openCluster opens a composite store on rc under a fresh prefix, with
// users, deleted when the test ends.
func openCluster(t testing.TB, rc *testenv.RedisCluster, users store.Store) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(t.Context(), rc.URL(), users, redisstore.Options{Prefix: "gh-test-" + rand.Text()[:12] + ":"})
	if err != nil {
		users.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := redisstore.DeletePrefix(context.Background(), s); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		s.Close()
	})
	return s
}

func sqliteUsers(t testing.TB) store.Store {
	t.Helper()
	sq, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	return sq
}

func postgresUsers(t testing.TB) store.Store {
	t.Helper()
	url, schema := testenv.PostgresSchema(t)
	pg, err := pgstore.Open(t.Context(), url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

// TestConformanceOnCluster runs the conformance suite, race tests and
// revocation-log group included, unchanged against a three-primary Redis
// Cluster of the test's own, with users in SQLite and in PostgreSQL.
func TestConformanceOnCluster(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	t.Run("SQLiteUsers", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openCluster(t, rc, sqliteUsers(t)) })
	})
	t.Run("PostgresUsers", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openCluster(t, rc, postgresUsers(t)) })
	})
}

// TestClusterKeysOfOneUserShareASlot: a user's state is one key, the log's
// keys share one slot, and different users spread over the primaries.
func TestClusterSpreadsUsersAndKeepsTheLogTogether(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	s := openCluster(t, rc, sqliteUsers(t))
	owners := map[string]bool{}
	for i := range 30 {
		uid := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		addUser(t, s, uid)
		mustLogin(t, s, uid, fmt.Sprintf("%08d-1111-4111-8111-111111111111", i), 0)
		owners[rc.Owner(t, rc.Slot(t, redisstore.UserKey(s, uid))).Addr] = true
	}
	if len(owners) != 3 {
		t.Errorf("30 users' keys on %d primaries, want all 3", len(owners))
	}
	ks := redisstore.LogKeys(s)
	for _, k := range ks[1:] {
		if rc.Slot(t, k) != rc.Slot(t, ks[0]) {
			t.Errorf("log key %s not in the log's slot", k)
		}
	}
	n, err := s.CountSessions(t.Context())
	if err != nil || n != 30 {
		t.Errorf("CountSessions over the primaries = %d, %v; want 30", n, err)
	}
}

// TestRefreshesThroughAResharding moves the slot that holds a user's
// sessions to another primary, a few keys at a time, while workers keep
// refreshing that user's sessions: every rotation succeeds or fails
// cleanly (store.ErrUnavailable, nothing changed), and none is lost — each
// session's generation afterwards is exactly one plus its successful
// rotations, and its current token is the last successor handed out.
func TestRefreshesThroughAResharding(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	s := openCluster(t, rc, sqliteUsers(t))
	const uid = "00000007-0000-4000-8000-000000000000"
	addUser(t, s, uid)
	const workers = 8
	sids := make([]string, workers)
	for i := range sids {
		sids[i] = fmt.Sprintf("%08d-2222-4222-8222-222222222222", i)
		mustLogin(t, s, uid, sids[i], 0)
	}
	slot := rc.Slot(t, redisstore.UserKey(s, uid))
	from := rc.Owner(t, slot)
	to := rc.Nodes[0]
	if to == from {
		to = rc.Nodes[1]
	}
	var (
		stop      atomic.Bool
		wg        sync.WaitGroup
		rotations = make([]int64, workers)
		failures  atomic.Int64
		errs      = make(chan error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			gen := int64(1)
			presented := sids[w] // login's refresh hash is sha(sid)
			for !stop.Load() {
				next := fmt.Sprintf("%s/%d", sids[w], gen+1)
				now := t0.Add(time.Duration(gen) * time.Second)
				res, err := s.RotateRefresh(context.Background(), store.Rotate{UserID: uid, SessionID: sids[w], Gen: gen,
					PresentedHash: sha(presented), SuccessorHash: sha(next), Now: now,
					RefreshTTL: time.Hour, IdleTimeout: time.Hour, RevokeUntil: now.Add(time.Hour)})
				switch {
				case err == nil && res.Outcome == store.Rotated && res.Session.RefreshGen == gen+1:
					gen++
					presented = next
					rotations[w]++
				case errors.Is(err, store.ErrUnavailable):
					failures.Add(1) // failed cleanly: try the same token again
				default:
					errs <- fmt.Errorf("worker %d, gen %d: %v, %+v", w, gen, err, res.Outcome)
					return
				}
			}
		})
	}
	phases := 0
	rc.MigrateSlot(t, slot, to, func(string) {
		phases++
		time.Sleep(50 * time.Millisecond) // keep the slot half moved while the workers run
	})
	time.Sleep(200 * time.Millisecond) // and some rotations after the move (MOVED)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := rc.Owner(t, slot); got != to {
		t.Fatalf("slot %d on %s after the move, want %s", slot, got.Addr, to.Addr)
	}
	var total int64
	for w, sid := range sids {
		sess, err := s.Session(t.Context(), uid, sid)
		if err != nil {
			t.Fatalf("session %d after the resharding: %v", w, err)
		}
		if sess.RefreshGen != 1+rotations[w] {
			t.Errorf("session %d: generation %d, want 1 + %d rotations", w, sess.RefreshGen, rotations[w])
		}
		if want := sha(fmt.Sprintf("%s/%d", sid, sess.RefreshGen)); string(sess.RefreshHash) != string(want) {
			t.Errorf("session %d: the current token is not the last successor handed out", w)
		}
		total += rotations[w]
	}
	if total == 0 {
		t.Fatal("no rotation ran during the move")
	}
	t.Logf("%d rotations through a resharding of slot %d (%d phases), %d clean failures", total, slot, phases, failures.Load())
}

// TestConformanceWithPostgresUsers runs the suite on one Redis with the
// users in PostgreSQL (TestConformance has them in SQLite).
func TestConformanceWithPostgresUsers(t *testing.T) {
	u := redisURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		users := postgresUsers(t)
		s, err := redisstore.Open(t.Context(), u, users, redisstore.Options{Prefix: "gh-test-" + rand.Text()[:12] + ":"})
		if err != nil {
			users.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := redisstore.DeletePrefix(context.Background(), s); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			s.Close()
		})
		return s
	})
}

// TestRevocationLogThroughAResharding moves the log's slot ({r}) to
// another primary while writers append revocations and a reader follows
// the log with its cursor, as every node does: each write succeeds or
// fails cleanly, and the reader sees every written id exactly once, in
// order.
func TestRevocationLogThroughAResharding(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	s := openCluster(t, rc, sqliteUsers(t))
	slot := rc.Slot(t, redisstore.LogKeys(s)[0])
	from := rc.Owner(t, slot)
	to := rc.Nodes[0]
	if to == from {
		to = rc.Nodes[1]
	}
	var (
		stop    atomic.Bool
		mu      sync.Mutex
		written []int64
		seen    []int64
		cursor  int64
		wg      sync.WaitGroup
	)
	if _, err := s.AddRevocation(t.Context(), store.Revocation{UserID: "u", Until: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
		t.Fatal(err) // the log exists before the move
	}
	read := func() {
		revs, err := s.Revocations(context.Background(), t0, cursor)
		if err != nil {
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Revocations: %v", err)
			}
			return
		}
		for _, r := range revs {
			if r.ID <= cursor {
				t.Errorf("id %d after cursor %d", r.ID, cursor)
			}
			seen, cursor = append(seen, r.ID), r.ID
		}
	}
	seen = nil
	wg.Go(func() {
		for !stop.Load() {
			read()
		}
	})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				r, err := s.AddRevocation(context.Background(), store.Revocation{
					SessionID: fmt.Sprintf("w%d-%d", w, i), UserID: "u", Until: t0.Add(time.Hour), CreatedAt: t0})
				switch {
				case err == nil:
					mu.Lock()
					written = append(written, r.ID)
					mu.Unlock()
				case !errors.Is(err, store.ErrUnavailable):
					t.Errorf("AddRevocation: %v", err)
					return
				}
			}
		})
	}
	rc.MigrateSlot(t, slot, to, func(string) {
		time.Sleep(50 * time.Millisecond) // keep the slot half moved while the writers run
	})
	time.Sleep(100 * time.Millisecond) // and some writes after the move (MOVED)
	stop.Store(true)
	wg.Wait()
	read() // everything has committed: the last read catches up
	if got := rc.Owner(t, slot); got != to {
		t.Fatalf("slot %d on %s after the move, want %s", slot, got.Addr, to.Addr)
	}
	slices.Sort(written)
	if len(written) == 0 {
		t.Fatal("no revocation written during the move")
	}
	if len(seen) == 0 || !slices.Equal(seen[1:], written) {
		t.Fatalf("the reader saw %d ids, the writers wrote %d (plus the first)", len(seen), len(written))
	}
	t.Logf("%d revocations written and read through a resharding of the log's slot %d", len(written), slot)
}
