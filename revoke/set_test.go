package revoke

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRevoked(t *testing.T) {
	t.Parallel()
	s := New()
	s.Add(store.Revocation{ID: 1, SessionID: "s1", UserID: "u1", Until: t0.Add(time.Minute)})
	s.Add(store.Revocation{ID: 2, UserID: "u2", NotBefore: t0, Until: t0.Add(time.Minute)})
	tests := []struct {
		name     string
		sid, sub string
		iat      time.Time
		want     bool
	}{
		{"revoked session is refused", "s1", "u1", t0, true},
		{"other session of same user passes", "s2", "u1", t0, false},
		{"token issued before user not-before is refused", "s9", "u2", t0.Add(-time.Second), true},
		{"token issued at user not-before passes", "s9", "u2", t0, false},
		{"unknown user passes", "s9", "u3", t0.Add(-time.Hour), false},
		{"empty sid does not match anything", "", "u1", t0, false},
	}
	for _, tt := range tests {
		if got := s.Revoked(tt.sid, tt.sub, tt.iat); got != tt.want {
			t.Errorf("%s: Revoked(%q,%q) = %v, want %v", tt.name, tt.sid, tt.sub, got, tt.want)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("Len=%d", s.Len())
	}
}

func TestLocalAddDoesNotMoveTheCursor(t *testing.T) {
	t.Parallel()
	s := New()
	s.Add(store.Revocation{ID: 9, SessionID: "s", Until: t0.Add(time.Minute)})
	if s.Cursor() != 0 {
		t.Fatalf("Cursor = %d after a local add, want 0", s.Cursor())
	}
	select {
	case <-s.Kicked():
	default:
		t.Fatal("a local add did not kick the sync loop")
	}
}

func TestKicksCoalesce(t *testing.T) {
	t.Parallel()
	s := New()
	for i := range 5 {
		s.Add(store.Revocation{ID: int64(i + 1), SessionID: "s", Until: t0})
	}
	<-s.Kicked()
	select {
	case <-s.Kicked():
		t.Fatal("five adds left more than one pending kick")
	default:
	}
	s.AddAll(nil)
	select {
	case <-s.Kicked():
		t.Fatal("adding nothing kicked")
	default:
	}
}

func TestLaterNotBeforeWins(t *testing.T) {
	t.Parallel()
	s := New()
	s.Add(store.Revocation{ID: 2, UserID: "u", NotBefore: t0.Add(time.Minute), Until: t0.Add(time.Hour)})
	s.Add(store.Revocation{ID: 1, UserID: "u", NotBefore: t0, Until: t0.Add(time.Minute)})
	if !s.Revoked("x", "u", t0.Add(30*time.Second)) {
		t.Fatal("earlier not-before replaced a later one")
	}
	if n := s.Prune(t0.Add(2 * time.Minute)); n != 0 {
		t.Fatalf("pruned %d entries still in force", n)
	}
}

func TestPruneDropsOnlyDeadEntries(t *testing.T) {
	t.Parallel()
	s := New()
	s.Add(store.Revocation{ID: 1, SessionID: "old", Until: t0})
	s.Add(store.Revocation{ID: 2, SessionID: "new", Until: t0.Add(time.Minute)})
	s.Add(store.Revocation{ID: 3, UserID: "u", NotBefore: t0, Until: t0})
	if n := s.Prune(t0); n != 2 {
		t.Fatalf("Prune = %d, want 2", n)
	}
	if s.Revoked("old", "", t0) || !s.Revoked("new", "", t0) {
		t.Fatal("wrong entries pruned")
	}
}

func TestConcurrentAddAndRevoked(t *testing.T) {
	t.Parallel()
	s := New()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				s.Add(store.Revocation{ID: int64(i*1000 + j), SessionID: string(rune('a'+i)) + string(rune(j)), Until: t0})
			}
		}(i)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				s.Revoked("a", "u", t0)
			}
		}()
	}
	wg.Wait()
	if s.Len() != 8*500 {
		t.Fatalf("Len = %d", s.Len())
	}
}

func BenchmarkRevokedMiss(b *testing.B) {
	s := New()
	for i := 0; i < 1000; i++ {
		s.Add(store.Revocation{ID: int64(i), SessionID: string(rune(i)), Until: t0})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Revoked("0196e6d2-not-there", "user", t0)
		}
	})
}

// TestRevokeAllBefore: a global not-before refuses every earlier token of
// every user (issue 9: a Redis restarted empty), none issued at or after it,
// and is pruned once until has passed.
func TestRevokeAllBefore(t *testing.T) {
	t.Parallel()
	s := New()
	s.RevokeAllBefore(t0, t0.Add(time.Hour))
	for _, tc := range []struct {
		sid, sub string
		iat      time.Time
		want     bool
	}{
		{"s1", "u1", t0.Add(-time.Second), true},
		{"", "u2", t0.Add(-time.Minute), true},
		{"s1", "u1", t0, false},
		{"s3", "u3", t0.Add(time.Second), false},
	} {
		if got := s.Revoked(tc.sid, tc.sub, tc.iat); got != tc.want {
			t.Errorf("Revoked(%q, %q, %v) = %v, want %v", tc.sid, tc.sub, tc.iat, got, tc.want)
		}
	}
	s.RevokeAllBefore(t0.Add(-time.Hour), t0) // an earlier one changes nothing
	if !s.Revoked("s1", "u1", t0.Add(-time.Second)) {
		t.Fatal("an earlier RevokeAllBefore moved the not-before back")
	}
	if s.Prune(t0.Add(30 * time.Minute)); !s.Revoked("s1", "u1", t0.Add(-time.Second)) {
		t.Fatal("pruned before until")
	}
	if s.Prune(t0.Add(time.Hour)); s.Revoked("s1", "u1", t0.Add(-time.Second)) {
		t.Fatal("not pruned after until")
	}
}
