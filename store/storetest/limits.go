package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// takeN takes n times at now and reports how many were allowed and the
// retry-after of the last denial.
func takeN(t *testing.T, s store.Store, key string, n int, now time.Time) (int, time.Duration) {
	t.Helper()
	allowed, retry := 0, time.Duration(0)
	for range n {
		ok, r, err := s.Take(t.Context(), []store.Bucket{{Key: key, Rate: 2, Burst: 3}}, now)
		wantErr(t, "Take", err, nil)
		if ok {
			allowed++
		} else {
			retry = r
		}
	}
	return allowed, retry
}

// near reports whether d is within a millisecond of want.
func near(d, want time.Duration) bool { return (d - want).Abs() <= time.Millisecond }

// The limit in these tests: 2 tokens per second, burst 3.
var limitTests = []test{
	{"burst then deny with retry-after", func(t *testing.T, s store.Store) {
		if n, _ := takeN(t, s, "ip:1", 3, at(0)); n != 3 {
			t.Fatalf("burst: %d of 3 allowed", n)
		}
		n, retry := takeN(t, s, "ip:1", 1, at(0))
		if n != 0 || !near(retry, 500*time.Millisecond) {
			t.Errorf("after burst: allowed %d, retry %v; want denied, 500ms", n, retry)
		}
		n, retry = takeN(t, s, "ip:1", 1, at(250*time.Millisecond))
		if n != 0 || !near(retry, 250*time.Millisecond) {
			t.Errorf("half refilled: allowed %d, retry %v; want denied, 250ms", n, retry)
		}
	}},
	{"refills as time advances, up to burst", func(t *testing.T, s store.Store) {
		takeN(t, s, "k", 3, at(0))
		if n, _ := takeN(t, s, "k", 2, at(500*time.Millisecond)); n != 1 {
			t.Errorf("after 500ms: %d allowed, want 1", n)
		}
		if n, _ := takeN(t, s, "k", 5, at(time.Hour)); n != 3 {
			t.Errorf("after an hour: %d of 5 allowed, want the burst of 3", n)
		}
	}},
	{"refund gives one token back, never above burst", func(t *testing.T, s store.Store) {
		takeN(t, s, "r", 3, at(0))
		wantErr(t, "Refund", s.Refund(t.Context(), []store.Bucket{{Key: "r", Rate: 2, Burst: 3}}, at(0)), nil)
		if n, _ := takeN(t, s, "r", 3, at(0)); n != 1 {
			t.Errorf("after one refund: %d allowed, want 1", n)
		}
		for range 5 {
			wantErr(t, "Refund", s.Refund(t.Context(), []store.Bucket{{Key: "r", Rate: 2, Burst: 3}}, at(time.Second)), nil)
		}
		if n, _ := takeN(t, s, "r", 5, at(time.Second)); n != 3 {
			t.Errorf("after many refunds: %d of 5 allowed, want the burst of 3", n)
		}
		wantErr(t, "Refund(missing bucket)", s.Refund(t.Context(), []store.Bucket{{Key: "fresh", Rate: 2, Burst: 3}}, at(0)), nil)
		if n, _ := takeN(t, s, "fresh", 5, at(0)); n != 3 {
			t.Errorf("refund of a full bucket overfilled it: %d of 5 allowed", n)
		}
	}},
	{"concurrent takes never pass more than the burst", func(t *testing.T, s store.Store) {
		var mu sync.Mutex
		allowed := 0
		parallel(16, func(int) {
			ok, _, err := s.Take(t.Context(), []store.Bucket{{Key: "race", Rate: 0.001, Burst: 5}}, at(0))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
		if allowed != 5 {
			t.Errorf("16 concurrent takes on a burst of 5: %d allowed", allowed)
		}
	}},
	{"a take of several buckets is all or nothing", func(t *testing.T, s store.Store) {
		takeN(t, s, "b", 3, at(0)) // b is empty, a full
		both := []store.Bucket{{Key: "a", Rate: 2, Burst: 3}, {Key: "b", Rate: 2, Burst: 3}}
		ok, wait, err := s.Take(t.Context(), both, at(0))
		if ok || err != nil || !near(wait, 500*time.Millisecond) {
			t.Fatalf("take of a full and an empty bucket: %v %v %v; want denied, 500ms", ok, wait, err)
		}
		if n, _ := takeN(t, s, "a", 5, at(0)); n != 3 {
			t.Errorf("a denied take of both took from a: %d of 3 left", n)
		}
		wantErr(t, "Refund(both)", s.Refund(t.Context(), both, at(0)), nil)
		if ok, _, err := s.Take(t.Context(), both, at(0)); !ok || err != nil {
			t.Errorf("after refunding both, take of both: %v %v", ok, err)
		}
	}},
	{"keys are independent", func(t *testing.T, s store.Store) {
		takeN(t, s, "a", 3, at(0))
		if n, _ := takeN(t, s, "b", 3, at(0)); n != 3 {
			t.Errorf("key b: %d of 3 allowed after a was drained", n)
		}
	}},
}
