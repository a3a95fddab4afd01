package redisstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
)

// TestAFailedRevocationLeavesTheSessionWhole: the revocation is appended
// to the log (its own slot) before the user's script deletes the session.
// Here the append fails (the log's last id is ahead of its counter, as
// after the counter was lost): the logout errors and the session is intact,
// never deleted without its revocation.
func TestAFailedRevocationLeavesTheSessionWhole(t *testing.T) {
	s, prefix := openOn(t, nil)
	c := rawClient(t)
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "s1", 0)
	if err := c.Do(t.Context(), c.B().Xadd().Key(prefix+"{r}:log").Id("9000000000000000-0").FieldValue().FieldValue("s", "x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndSessions(t.Context(), "u1", []string{"s1"}, "logout", t0, t0.Add(time.Hour)); err == nil {
		t.Fatal("EndSessions succeeded without being able to write its revocation")
	}
	if _, err := s.Session(t.Context(), "u1", "s1"); err != nil {
		t.Errorf("the session after a failed revocation: %v, want it intact", err)
	}
}

// TestRevocationIDsKeepGrowingAfterRedisLosesItsData: a Redis restarted
// empty loses the log and its counter; the next id must still be above
// every id handed out before, or every node (its cursor at the old ids)
// would skip the new revocations.
func TestRevocationIDsKeepGrowingAfterRedisLosesItsData(t *testing.T) {
	s, prefix := openOn(t, nil)
	c := rawClient(t)
	add := func() int64 {
		r, err := s.AddRevocation(t.Context(), store.Revocation{UserID: "u1", NotBefore: t0, Until: t0.Add(time.Hour), CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	first := add()
	if next := add(); next != first+1 {
		t.Errorf("ids %d then %d, want consecutive", first, next)
	}
	if err := c.Do(t.Context(), c.B().Del().Key(prefix+"{r}:seq", prefix+"{r}:log", prefix+"{r}:sids").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if after := add(); after <= first+1 {
		t.Errorf("id %d after the log was lost, want above %d", after, first+1)
	}
}

// TestARevocationIsAppendedBeforeTheSessionEnds: a logout appends the
// revocation to the log (its own slot) and only then ends the session.
// A crash in between (the hook's error) leaves the session revoked but
// alive — every node refuses its access tokens: closed — until the
// periodic sweep or a retry ends it, under the same revocation, not a
// second one.
func TestARevocationIsAppendedBeforeTheSessionEnds(t *testing.T) {
	s, _ := openOn(t, nil)
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "s1", 0)
	crash := errors.New("crash between the append and the script")
	redisstore.SetAfterAppend(s, func() error { return crash })
	if _, err := s.EndSessions(t.Context(), "u1", []string{"s1"}, "logout", t0, t0.Add(time.Hour)); !errors.Is(err, crash) {
		t.Fatalf("EndSessions with a crash after the append: %v", err)
	}
	revs, err := s.Revocations(t.Context(), t0, 0)
	if err != nil || len(revs) != 1 || revs[0].SessionID != "s1" {
		t.Fatalf("log after the crash: %+v, %v; want s1's revocation", revs, err)
	}
	if _, err := s.Session(t.Context(), "u1", "s1"); err != nil {
		t.Errorf("session after the crash: %v, want it still there (revoked, not yet ended)", err)
	}
	redisstore.SetAfterAppend(s, nil)
	// Left alone, the periodic sweep finishes the end under the same
	// revocation.
	if _, err := s.Sweep(t.Context(), t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(t.Context(), "u1", "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after the sweep: %v, want ended", err)
	}
	// A second crashed end, this time retried by the caller.
	mustLogin(t, s, "u1", "s2", 0)
	redisstore.SetAfterAppend(s, func() error { return crash })
	if _, err := s.EndSessions(t.Context(), "u1", []string{"s2"}, "logout", t0, t0.Add(time.Hour)); !errors.Is(err, crash) {
		t.Fatalf("EndSessions(s2) with a crash after the append: %v", err)
	}
	revs, err = s.Revocations(t.Context(), t0, revs[0].ID)
	if err != nil || len(revs) != 1 || revs[0].SessionID != "s2" {
		t.Fatalf("log after the second crash: %+v, %v; want s2's revocation", revs, err)
	}
	redisstore.SetAfterAppend(s, nil)
	ended, err := s.EndSessions(t.Context(), "u1", []string{"s2"}, "logout", t0, t0.Add(time.Hour))
	if err != nil || len(ended) != 1 || ended[0].Revocation.ID != revs[0].ID {
		t.Fatalf("retry: %+v, %v; want s2 ended under revocation %d", ended, err, revs[0].ID)
	}
	if _, err := s.Session(t.Context(), "u1", "s2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after the retry: %v, want ErrNotFound", err)
	}
	if revs, _ := s.Revocations(t.Context(), t0, 0); len(revs) != 2 {
		t.Errorf("log after the retry: %d entries, want 2 (one per session)", len(revs))
	}
}
