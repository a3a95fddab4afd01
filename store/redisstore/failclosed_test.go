package redisstore_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// TestAFailedRevocationLeavesTheSessionWhole: Redis does not roll a script
// back, so each script writes the revocation before it deletes the session.
// Here the append fails (the log's last id is ahead of its counter, as
// after the counter was lost): the logout errors and the session is intact,
// never deleted without its revocation.
func TestAFailedRevocationLeavesTheSessionWhole(t *testing.T) {
	s, prefix := openOn(t, nil)
	c := rawClient(t)
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "s1", 0)
	if err := c.Do(t.Context(), c.B().Xadd().Key(prefix+"revlog").Id("9000000000000000-0").FieldValue().FieldValue("s", "x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndSessions(t.Context(), "u1", []string{"s1"}, "logout", t0, t0.Add(time.Hour)); err == nil {
		t.Fatal("EndSessions succeeded without being able to write its revocation")
	}
	if _, err := s.Session(t.Context(), "s1"); err != nil {
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
	if err := c.Do(t.Context(), c.B().Del().Key(prefix+"revseq", prefix+"revlog").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if after := add(); after <= first+1 {
		t.Errorf("id %d after the log was lost, want above %d", after, first+1)
	}
}
