package verifier

import (
	"testing"
	"time"
)

func TestRefreshAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cc   string
		want time.Duration
	}{
		{"public, max-age=300", 5 * time.Minute},
		{"MAX-AGE=120", 2 * time.Minute},
		{"max-age=1", minKeyRefresh},          // not more often than the floor
		{"max-age=999999", maxKeyRefresh},     // nor less often than the ceiling
		{"no-cache", defKeyRefresh},           // no max-age
		{"", defKeyRefresh},                   // no header
		{"max-age=abc", defKeyRefresh},        // malformed
		{`public, max-age="60"`, time.Minute}, // quoted, as some servers send
	} {
		if got := refreshAfter(tc.cc); got != tc.want {
			t.Errorf("refreshAfter(%q) = %v, want %v", tc.cc, got, tc.want)
		}
	}
}

func TestRevSet(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newRevSet()
	s.add("s1", "u1", time.Time{}, t0.Add(time.Minute))
	s.add("", "u2", t0, t0.Add(time.Minute))
	s.add("", "u3", time.Time{}, t0.Add(time.Minute)) // no not_before: not user-wide
	s.add("", "u2", t0.Add(-time.Hour), t0)           // an earlier not-before does not win
	for _, tc := range []struct {
		name     string
		sid, sub string
		iat      time.Time
		want     bool
	}{
		{"revoked session", "s1", "u1", t0, true},
		{"session event does not revoke its user", "s2", "u1", t0.Add(-time.Hour), false},
		{"user token before not_before", "s9", "u2", t0.Add(-time.Second), true},
		{"user token at not_before", "s9", "u2", t0, false},
		{"event without not_before", "s9", "u3", t0.Add(-time.Hour), false},
		{"empty sid", "", "u1", t0, false},
	} {
		if got := s.revoked(tc.sid, tc.sub, tc.iat); got != tc.want {
			t.Errorf("%s: revoked = %v, want %v", tc.name, got, tc.want)
		}
	}
	s.prune(t0.Add(time.Minute))
	if n := s.len(); n != 0 {
		t.Fatalf("%d entries left after their until", n)
	}
}
