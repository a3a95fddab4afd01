package storetest

import (
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
		ok, r, err := s.Take(t.Context(), key, 2, 3, now)
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
	{"peek answers like take but takes nothing", func(t *testing.T, s store.Store) {
		for i := 0; i < 5; i++ {
			if ok, _, err := s.Peek(t.Context(), "p", 2, 3, at(0)); !ok || err != nil {
				t.Fatalf("peek %d on a full bucket: %v %v", i, ok, err)
			}
		}
		if n, _ := takeN(t, s, "p", 3, at(0)); n != 3 {
			t.Fatalf("peeks consumed tokens: %d of 3 taken", n)
		}
		ok, retry, err := s.Peek(t.Context(), "p", 2, 3, at(0))
		if ok || err != nil || !near(retry, 500*time.Millisecond) {
			t.Errorf("peek on an empty bucket: %v %v %v; want denied, 500ms", ok, retry, err)
		}
		if ok, _, _ := s.Peek(t.Context(), "p", 2, 3, at(500*time.Millisecond)); !ok {
			t.Error("peek does not see the refill")
		}
	}},
	{"keys are independent", func(t *testing.T, s store.Store) {
		takeN(t, s, "a", 3, at(0))
		if n, _ := takeN(t, s, "b", 3, at(0)); n != 3 {
			t.Errorf("key b: %d of 3 allowed after a was drained", n)
		}
	}},
}
