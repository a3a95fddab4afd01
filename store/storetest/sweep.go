package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var sweepTests = []test{
	{"removes dead sessions and revocations past until", func(t *testing.T, s store.Store) {
		now := at(0)
		live := newSession("live", "u1", "a", now.Add(-time.Hour))
		abs := newSession("abs", "u1", "b", now.Add(-lifetime)) // ExpiresAt == now
		abs.LastSeenAt, abs.RefreshExpiresAt = now.Add(-time.Minute), now.Add(time.Hour)
		idleS := newSession("idle", "u1", "c", now.Add(-2*idle))
		idleS.LastSeenAt = now.Add(-idle)                                 // idle deadline == now
		refresh := newSession("refresh", "u2", "d", now.Add(-refreshTTL)) // RefreshExpiresAt == now
		refresh.LastSeenAt = now.Add(-time.Minute)
		for i, sess := range []store.Session{live, abs, idleS, refresh} {
			mustCreate(t, s, sess, []string{"live", "abs", "idle", "refresh"}[i]+"/1")
		}
		for _, until := range []time.Duration{-time.Minute, 0, time.Minute} {
			_, err := s.AddRevocation(t.Context(), store.Revocation{UserID: id("u1"), NotBefore: now, Until: now.Add(until), CreatedAt: now})
			wantErr(t, "AddRevocation", err, nil)
		}
		n, err := s.Sweep(t.Context(), now, idle)
		wantErr(t, "Sweep", err, nil)
		if n != 5 { // 3 sessions, 2 revocations
			t.Errorf("Sweep removed %d rows, want 5", n)
		}
		for _, sess := range []store.Session{abs, idleS, refresh} {
			_, err := s.Session(t.Context(), sess.UserID, sess.ID)
			wantErr(t, "Session after Sweep", err, store.ErrNotFound)
			in := rotateIn("u1", "x", "y", now.Add(-2*idle))
			in.UserID, in.SessionID, in.PresentedHash = sess.UserID, sess.ID, sess.RefreshHash
			_, err = s.RotateRefresh(t.Context(), in)
			wantErr(t, "RotateRefresh after Sweep", err, store.ErrNotFound)
		}
		checkSession(t, "live session after Sweep", mustSession(t, s, "u1", "live"), live)
		if c, err := s.CountSessions(t.Context()); err != nil || c != 1 {
			t.Errorf("CountSessions = %d, %v; want 1", c, err)
		}
		revs, err := s.Revocations(t.Context(), now.Add(-time.Hour), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 1 || !revs[0].Until.Equal(now.Add(time.Minute)) {
			t.Errorf("Revocations after Sweep = %+v, want the one until now+1m", revs)
		}
		if n, err = s.Sweep(t.Context(), now, idle); err != nil || n != 0 {
			t.Errorf("second Sweep = %d, %v; want 0", n, err)
		}
	}},
	{"zero idle ignores last seen", func(t *testing.T, s store.Store) {
		now := at(0)
		old := newSession("old", "u1", "a", now.Add(-2*idle))
		mustCreate(t, s, old, "old/1")
		n, err := s.Sweep(t.Context(), now, 0)
		wantErr(t, "Sweep", err, nil)
		if n != 0 {
			t.Errorf("Sweep removed %d rows, want 0", n)
		}
		mustSession(t, s, "u1", "old")
	}},
	{"removes expired challenges", func(t *testing.T, s store.Store) {
		now := at(0)
		for _, tc := range []struct {
			name string
			exp  time.Time
		}{{"past", now.Add(-time.Minute)}, {"now", now}, {"live", now.Add(time.Minute)}} {
			mustAddChallenge(t, s, newChallenge(tc.name, tc.exp))
		}
		n, err := s.Sweep(t.Context(), now, idle)
		wantErr(t, "Sweep", err, nil)
		if n != 2 {
			t.Errorf("Sweep removed %d rows, want 2 challenges", n)
		}
		for _, name := range []string{"past", "now"} {
			_, err := s.ConsumeChallenge(t.Context(), id("u1"), hash("challenge:"+name), now.Add(-time.Hour))
			wantErr(t, "ConsumeChallenge("+name+") after Sweep", err, store.ErrNotFound)
		}
		if _, err := s.ConsumeChallenge(t.Context(), id("u1"), hash("challenge:live"), now); err != nil {
			t.Errorf("ConsumeChallenge(live) after Sweep: %v", err)
		}
	}},
}
