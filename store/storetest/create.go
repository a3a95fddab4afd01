package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// limited is createIn with a session limit.
func limited(sess store.Session, token string, max int, o store.Overflow) store.CreateSession {
	in := createIn(sess, token)
	in.MaxSessions, in.Overflow = max, o
	return in
}

// threeSessions creates u1's sessions s1, s2, s3, created one hour apart but
// last seen in the opposite order (s1 most recently).
func threeSessions(t *testing.T, s store.Store) []store.Session {
	t.Helper()
	var out []store.Session
	for i, n := range []string{"s1", "s2", "s3"} {
		sess := newSession(n, "u1", "dev-"+n, at(time.Duration(i)*time.Hour))
		sess.LastSeenAt = at(10*time.Hour - time.Duration(i)*time.Hour)
		mustCreate(t, s, sess, n+"/1")
		out = append(out, sess)
	}
	return out
}

var createTests = []test{
	{"inserts the session and refresh generation 1", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "laptop", at(0))
		sess.CookieHash = hash("cookie")
		ended, err := s.CreateSession(t.Context(), createIn(sess, "s1/1"))
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 0 {
			t.Errorf("CreateSession ended %v", endedIDs(ended))
		}
		checkSession(t, "Session", mustSession(t, s, "u1", "s1"), sess)
		res, err := s.RotateRefresh(t.Context(), rotateIn("u1", "s1/1", "s1/2", at(time.Minute)))
		wantErr(t, "RotateRefresh(generation 1)", err, nil)
		if res.Outcome != store.Rotated || res.Session.RefreshGen != 2 {
			t.Errorf("RotateRefresh: outcome %v gen %d, want Rotated gen 2", res.Outcome, res.Session.RefreshGen)
		}
	}},
	{"replace device ends the user's session on that device", func(t *testing.T, s store.Store) {
		old := newSession("old", "u1", "phone", at(0))
		mustCreate(t, s, old, "old/1")
		other := newSession("other", "u1", "laptop", at(time.Minute))
		mustCreate(t, s, other, "other/1")
		in := createIn(newSession("new", "u1", "phone", at(time.Hour)), "new/1")
		in.ReplaceDevice = true
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 1 {
			t.Fatalf("ended %v, want [old]", endedIDs(ended))
		}
		checkEnded(t, ended[0], old, "device", in.Now, in.RevokeUntil)
		gone(t, s, "u1", "old", "old/1")
		mustSession(t, s, "u1", "other")
		mustSession(t, s, "u1", "new")
	}},
	{"replace device never ends another user's session", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("bob", "u2", "shared", at(0)), "bob/1")
		in := createIn(newSession("alice", "u1", "shared", at(time.Hour)), "alice/1")
		in.ReplaceDevice = true
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 0 {
			t.Errorf("ended %v, want none", endedIDs(ended))
		}
		mustSession(t, s, "u2", "bob")
		mustSession(t, s, "u1", "alice")
	}},
	{"without replace device the same device keeps both", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("a", "u1", "phone", at(0)), "a/1")
		mustCreate(t, s, newSession("b", "u1", "phone", at(time.Hour)), "b/1")
		mustSession(t, s, "u1", "a")
		mustSession(t, s, "u1", "b")
	}},
	{"evict-oldest ends the oldest created", func(t *testing.T, s store.Store) {
		ss := threeSessions(t, s)
		in := limited(newSession("s4", "u1", "dev-s4", at(11*time.Hour)), "s4/1", 3, store.EvictOldest)
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 1 {
			t.Fatalf("ended %v, want [s1]", endedIDs(ended))
		}
		checkEnded(t, ended[0], ss[0], "evict-oldest", in.Now, in.RevokeUntil)
		gone(t, s, "u1", "s1", "s1/1")
		for _, n := range []string{"s2", "s3", "s4"} {
			mustSession(t, s, "u1", n)
		}
	}},
	{"evict-idle ends the least recently seen", func(t *testing.T, s store.Store) {
		ss := threeSessions(t, s)
		in := limited(newSession("s4", "u1", "dev-s4", at(11*time.Hour)), "s4/1", 3, store.EvictIdle)
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 1 {
			t.Fatalf("ended %v, want [s3]", endedIDs(ended))
		}
		checkEnded(t, ended[0], ss[2], "evict-idle", in.Now, in.RevokeUntil)
		gone(t, s, "u1", "s3", "s3/1")
		for _, n := range []string{"s1", "s2", "s4"} {
			mustSession(t, s, "u1", n)
		}
	}},
	{"reject is ErrSessionLimit and writes nothing", func(t *testing.T, s store.Store) {
		ss := threeSessions(t, s)
		in := limited(newSession("s4", "u1", "dev-s1", at(11*time.Hour)), "s4/1", 3, store.Reject)
		in.ReplaceDevice = false
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, store.ErrSessionLimit)
		if len(ended) != 0 {
			t.Errorf("ended %v on reject", endedIDs(ended))
		}
		gone(t, s, "u1", "s4", "s4/1")
		for i, n := range []string{"s1", "s2", "s3"} {
			checkSession(t, n, mustSession(t, s, "u1", n), ss[i])
		}
		revs, err := s.Revocations(t.Context(), at(0), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 0 {
			t.Errorf("reject wrote %d revocations", len(revs))
		}
	}},
	{"sessions expired at now do not count toward the limit", func(t *testing.T, s store.Store) {
		abs := newSession("abs", "u1", "a", at(-lifetime)) // expires exactly at base
		abs.LastSeenAt, abs.RefreshExpiresAt = at(-time.Minute), abs.ExpiresAt
		mustCreate(t, s, abs, "abs/1")
		idleS := newSession("idle", "u1", "b", at(-2*idle))
		idleS.ExpiresAt = at(lifetime) // alive but idle since -2*idle
		mustCreate(t, s, idleS, "idle/1")
		live := newSession("live", "u1", "c", at(-time.Hour))
		mustCreate(t, s, live, "live/1")
		in := limited(newSession("new", "u1", "d", at(0)), "new/1", 2, store.Reject)
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		for _, e := range ended {
			if e.Session.ID == live.ID {
				t.Errorf("the live session was ended (%s)", e.Reason)
			}
		}
		mustSession(t, s, "u1", "live")
		mustSession(t, s, "u1", "new")
	}},
	{"device replacement happens before the limit", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("phone", "u1", "phone", at(0)), "phone/1")
		mustCreate(t, s, newSession("laptop", "u1", "laptop", at(time.Minute)), "laptop/1")
		in := limited(newSession("phone2", "u1", "phone", at(time.Hour)), "phone2/1", 2, store.Reject)
		in.ReplaceDevice = true
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if got := endedIDs(ended); !slices.Equal(got, []string{id("phone")}) {
			t.Errorf("ended %v, want [phone]", got)
		}
		mustSession(t, s, "u1", "laptop")
		mustSession(t, s, "u1", "phone2")
	}},
	{"eviction brings a user over the limit down to it", func(t *testing.T, s store.Store) {
		threeSessions(t, s)
		in := limited(newSession("s4", "u1", "dev-s4", at(11*time.Hour)), "s4/1", 2, store.EvictOldest)
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if got := endedIDs(ended); len(got) != 2 || !slices.Contains(got, id("s1")) || !slices.Contains(got, id("s2")) {
			t.Errorf("ended %v, want s1 and s2", got)
		}
		ss, err := s.UserSessions(t.Context(), id("u1"))
		wantErr(t, "UserSessions", err, nil)
		if got := sessionIDs(ss); !slices.Equal(got, []string{id("s4"), id("s3")}) {
			t.Errorf("UserSessions = %v, want [s4 s3]", got)
		}
	}},
}

// atLimit creates u1's sessions a and b and u2's session x, and returns a
// CreateSession of u1's session "new" at the limit of 2 with reject.
func atLimit(t *testing.T, s store.Store) (map[string]store.Session, store.CreateSession) {
	t.Helper()
	ss := map[string]store.Session{
		"a": newSession("a", "u1", "dev-a", at(0)),
		"b": newSession("b", "u1", "dev-b", at(time.Minute)),
		"x": newSession("x", "u2", "dev-x", at(2*time.Minute)),
	}
	for _, n := range []string{"a", "b", "x"} {
		mustCreate(t, s, ss[n], n+"/1")
	}
	return ss, limited(newSession("new", "u1", "dev-new", at(time.Hour)), "new/1", 2, store.Reject)
}

var createEndTests = []test{
	{"end resolves a listed session before the limit", func(t *testing.T, s store.Store) {
		ss, in := atLimit(t, s)
		in.End = []string{id("a")}
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 1 {
			t.Fatalf("ended %v, want [a]", endedIDs(ended))
		}
		checkEnded(t, ended[0], ss["a"], "resolved", in.Now, in.RevokeUntil)
		gone(t, s, "u1", "a", "a/1")
		checkSession(t, "b", mustSession(t, s, "u1", "b"), ss["b"])
		checkSession(t, "x", mustSession(t, s, "u2", "x"), ss["x"])
		checkSession(t, "new", mustSession(t, s, "u1", "new"), in.Session)
		revs, err := s.Revocations(t.Context(), in.Now, 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 1 || revString(revs[0]) != revString(ended[0].Revocation) {
			t.Errorf("Revocations = %+v, want [%s]", revs, revString(ended[0].Revocation))
		}
	}},
	{"end ignores another user's and unknown sessions", func(t *testing.T, s store.Store) {
		ss, in := atLimit(t, s)
		in.End = []string{id("x"), id("nope")}
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, store.ErrSessionLimit)
		if len(ended) != 0 {
			t.Errorf("ended %v on reject", endedIDs(ended))
		}
		gone(t, s, "u1", "new", "new/1")
		for _, n := range []string{"a", "b", "x"} {
			checkSession(t, n, mustSession(t, s, ownerName(ss[n]), n), ss[n])
		}
		revs, err := s.Revocations(t.Context(), at(0), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 0 {
			t.Errorf("reject wrote %d revocations", len(revs))
		}
	}},
	{"end comes before the device rule, once per session", func(t *testing.T, s store.Store) {
		ss, in := atLimit(t, s)
		in.Session.DeviceID, in.ReplaceDevice = "dev-a", true
		in.End = []string{id("a"), id("a")}
		ended, err := s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		if len(ended) != 1 {
			t.Fatalf("ended %v, want [a] once", endedIDs(ended))
		}
		checkEnded(t, ended[0], ss["a"], "resolved", in.Now, in.RevokeUntil)
		mustSession(t, s, "u1", "b")
		mustSession(t, s, "u1", "new")
	}},
}
