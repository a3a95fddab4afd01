package revoke

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// logSource is an in-memory revocation log that keeps the store contract:
// entries in id order, ids visible in order.
type logSource struct {
	mu sync.Mutex
	rs []store.Revocation
}

func (l *logSource) append(r store.Revocation) store.Revocation {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.ID = int64(len(l.rs) + 1)
	l.rs = append(l.rs, r)
	return r
}

func (l *logSource) Revocations(_ context.Context, now time.Time, after int64) ([]store.Revocation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.Revocation
	for _, r := range l.rs {
		if r.ID > after && r.Until.After(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestSyncLoadsOnlyInForce(t *testing.T) {
	t.Parallel()
	src := &logSource{}
	src.append(store.Revocation{SessionID: "a", Until: t0.Add(time.Hour)})
	src.append(store.Revocation{SessionID: "b", Until: t0.Add(-time.Hour)})
	src.append(store.Revocation{SessionID: "c", Until: t0.Add(time.Hour)})
	s := New()
	if err := s.Sync(context.Background(), src, t0); err != nil {
		t.Fatal(err)
	}
	if !s.Revoked("a", "", t0) || s.Revoked("b", "", t0) || !s.Revoked("c", "", t0) || s.Cursor() != 3 {
		t.Fatalf("sync loaded the wrong entries (cursor %d)", s.Cursor())
	}
}

// TestSyncLoadsEntriesBelowALocalAdd is issue 7 item 3: another process
// (the CLI) writes revocation 1, this node then writes revocation 2 and adds
// it locally; the next sync must still load 1. Before the fix the local add
// moved the high-water mark to 2 and revocation 1 was never loaded.
func TestSyncLoadsEntriesBelowALocalAdd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		remote store.Revocation
		check  func(s *Set) bool
	}{
		{"user-wide", store.Revocation{UserID: "u1", NotBefore: t0, Until: t0.Add(time.Hour)},
			func(s *Set) bool { return s.Revoked("any", "u1", t0.Add(-time.Second)) }},
		{"session", store.Revocation{SessionID: "s1", UserID: "u1", Until: t0.Add(time.Hour)},
			func(s *Set) bool { return s.Revoked("s1", "u1", t0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &logSource{}
			a := New()
			if err := a.Sync(t.Context(), src, t0); err != nil {
				t.Fatal(err)
			}
			src.append(tc.remote)                                                          // writer B: id 1
			a.Add(src.append(store.Revocation{SessionID: "s2", Until: t0.Add(time.Hour)})) // writer A: id 2
			if err := a.Sync(t.Context(), src, t0); err != nil {
				t.Fatal(err)
			}
			if !tc.check(a) {
				t.Fatal("revocation 1, written by another process before a local one, was never loaded")
			}
			if !a.Revoked("s2", "", t0) {
				t.Fatal("local revocation lost")
			}
		})
	}
}

// faultySource returns entries out of order or below the cursor.
type faultySource []store.Revocation

func (f faultySource) Revocations(context.Context, time.Time, int64) ([]store.Revocation, error) {
	return f, nil
}

func TestSyncNeverMovesTheCursorBack(t *testing.T) {
	t.Parallel()
	s := New()
	src := faultySource{{ID: 5, SessionID: "a", Until: t0.Add(time.Hour)}, {ID: 3, SessionID: "b", Until: t0.Add(time.Hour)}}
	sub := s.Subscribe(8)
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	if s.Cursor() != 5 {
		t.Fatalf("Cursor = %d, want 5", s.Cursor())
	}
	if got := drain(sub); len(got) != 1 || got[0] != 5 {
		t.Fatalf("subscriber got %v, want [5]", got)
	}
}

// drain reads what is buffered in sub without blocking.
func drain(sub *Subscription) []int64 {
	var ids []int64
	for {
		select {
		case r, ok := <-sub.C():
			if !ok {
				return ids
			}
			ids = append(ids, r.ID)
		default:
			return ids
		}
	}
}
