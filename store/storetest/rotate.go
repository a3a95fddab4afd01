package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// rotated is sess after a rotation to token next at now with ttl.
func rotated(sess store.Session, next string, now time.Time, ttl time.Duration) store.Session {
	sess.RefreshGen++
	sess.RefreshHash = hash(next)
	sess.RotatedAt, sess.LastSeenAt = now, now
	sess.RefreshExpiresAt = now.Add(ttl)
	if sess.ExpiresAt.Before(sess.RefreshExpiresAt) {
		sess.RefreshExpiresAt = sess.ExpiresAt
	}
	return sess
}

// mustRotate rotates token to next at now and expects Rotated.
func mustRotate(t *testing.T, s store.Store, token, next string, now time.Time) store.Session {
	t.Helper()
	res, err := s.RotateRefresh(t.Context(), rotateIn("u1", token, next, now))
	if err != nil || res.Outcome != store.Rotated {
		t.Fatalf("RotateRefresh(%s): outcome %v, %v; want Rotated", token, res.Outcome, err)
	}
	return res.Session
}

// rejected checks that in fails with target and changes nothing.
func rejected(t *testing.T, s store.Store, in store.Rotate, target error) {
	t.Helper()
	before := mustSession(t, s, "u1", "s1")
	_, err := s.RotateRefresh(t.Context(), in)
	wantErr(t, "RotateRefresh", err, target)
	checkSession(t, "session after a refused rotation", mustSession(t, s, "u1", "s1"), before)
}

// reused checks that in is reuse with cause, ending s1 (last token cur).
func reused(t *testing.T, s store.Store, in store.Rotate, cause, cur string) {
	t.Helper()
	before := mustSession(t, s, "u1", "s1")
	res, err := s.RotateRefresh(t.Context(), in)
	wantErr(t, "RotateRefresh", err, store.ErrReused)
	if res.ReuseCause != cause {
		t.Errorf("ReuseCause = %q, want %q", res.ReuseCause, cause)
	}
	if res.Ended == nil {
		t.Fatal("RotateResult.Ended is nil on reuse")
	}
	checkEnded(t, *res.Ended, before, "reuse", in.Now, in.RevokeUntil)
	gone(t, s, "u1", "s1", "s1/1", "s1/2", cur)
	revs, err := s.Revocations(t.Context(), in.Now, 0)
	wantErr(t, "Revocations", err, nil)
	if len(revs) != 1 || revs[0].SessionID != id("s1") || revs[0].ID != res.Ended.Revocation.ID {
		t.Errorf("Revocations after reuse = %+v", revs)
	}
}

var rotateTests = []test{
	{"rotates the current token", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		want := rotated(sess, "s1/2", at(time.Hour), refreshTTL)
		checkSession(t, "RotateRefresh result", mustRotate(t, s, "s1/1", "s1/2", at(time.Hour)), want)
		checkSession(t, "Session after rotation", mustSession(t, s, "u1", "s1"), want)
		want = rotated(want, "s1/3", at(2*time.Hour), refreshTTL)
		checkSession(t, "second rotation", mustRotate(t, s, "s1/2", "s1/3", at(2*time.Hour)), want)
	}},
	{"refresh expiry is capped by the absolute expiry", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		sess.RefreshExpiresAt = sess.ExpiresAt
		mustCreate(t, s, sess, "s1/1")
		now := sess.ExpiresAt.Add(-time.Hour)
		wantErr(t, "Touch", s.Touch(t.Context(), sess.UserID, sess.ID, now.Add(-time.Minute)), nil)
		got := mustRotate(t, s, "s1/1", "s1/2", now)
		if !got.RefreshExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("RefreshExpiresAt = %s, want ExpiresAt %s", ts(got.RefreshExpiresAt), ts(sess.ExpiresAt))
		}
	}},
	{"unknown token is ErrNotFound", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		rejected(t, s, rotateIn("u1", "s1/1bogus", "s1/2bogus", at(time.Minute)), store.ErrNotFound)
		rejected(t, s, rotateIn("u1", "s1/2", "s1/3", at(time.Minute)), store.ErrNotFound) // a generation from the future
		rejected(t, s, rotateIn("u1", "nope/1", "nope/2", at(time.Minute)), store.ErrNotFound)
	}},
	{"absolutely expired session is ErrSessionExpired", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		sess.RefreshExpiresAt = sess.ExpiresAt.Add(time.Hour) // only the absolute cap has passed
		mustCreate(t, s, sess, "s1/1")
		in := rotateIn("u1", "s1/1", "s1/2", sess.ExpiresAt)
		in.IdleTimeout = 0
		rejected(t, s, in, store.ErrSessionExpired)
	}},
	{"idle session is ErrSessionExpired", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		rejected(t, s, rotateIn("u1", "s1/1", "s1/2", at(idle)), store.ErrSessionExpired)
	}},
	{"expired refresh token is ErrRefreshExpired", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		wantErr(t, "Touch", s.Touch(t.Context(), sess.UserID, sess.ID, sess.RefreshExpiresAt.Add(-time.Minute)), nil)
		rejected(t, s, rotateIn("u1", "s1/1", "s1/2", sess.RefreshExpiresAt), store.ErrRefreshExpired)
	}},
	{"previous token within grace is Replayed and changes nothing", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		cur := mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		for _, d := range []time.Duration{0, time.Second, grace} { // grace is inclusive
			res, err := s.RotateRefresh(t.Context(), rotateIn("u1", "s1/1", "s1/2", at(time.Hour+d)))
			wantErr(t, "RotateRefresh(previous)", err, nil)
			if res.Outcome != store.Replayed || res.Ended != nil {
				t.Errorf("outcome %v (ended %v), want Replayed", res.Outcome, res.Ended)
			}
			checkSession(t, "Replayed session", res.Session, cur)
			checkSession(t, "Session after replay", mustSession(t, s, "u1", "s1"), cur)
		}
		mustRotate(t, s, "s1/2", "s1/3", at(2*time.Hour))
	}},
	{"previous token within grace with another successor is ErrNotFound", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		rejected(t, s, rotateIn("u1", "s1/1", "other", at(time.Hour+time.Second)), store.ErrNotFound)
	}},
	{"previous token after grace is reuse (after-grace)", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		reused(t, s, rotateIn("u1", "s1/1", "s1/2", at(time.Hour+grace+time.Microsecond)), "after-grace", "s1/2")
	}},
	{"previous token with zero grace is reuse (after-grace)", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
		in.Grace = 0
		reused(t, s, in, "after-grace", "s1/2")
	}},
	{"older token is reuse (stale), even within grace", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		mustRotate(t, s, "s1/2", "s1/3", at(time.Hour+time.Second))
		reused(t, s, rotateIn("u1", "s1/1", "s1/2", at(time.Hour+2*time.Second)), "stale", "s1/3")
	}},
	{"a DPoP-bound session keeps its key and rotates only with it", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		sess.JKT = "jkt-of-the-login-key"
		mustCreate(t, s, sess, "s1/1")
		checkSession(t, "bound session", mustSession(t, s, "u1", "s1"), sess)
		for _, jkt := range []string{"", "another-key", "JKT-OF-THE-LOGIN-KEY"} {
			in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
			in.JKT = jkt
			rejected(t, s, in, store.ErrKeyMismatch)
		}
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
		in.JKT = sess.JKT
		res, err := s.RotateRefresh(t.Context(), in)
		wantErr(t, "RotateRefresh with the key", err, nil)
		checkSession(t, "rotated bound session", res.Session, rotated(sess, "s1/2", at(time.Hour), refreshTTL))
	}},
	{"a spent token of a bound session without the key is not reuse", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		sess.JKT = "k"
		mustCreate(t, s, sess, "s1/1")
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
		in.JKT = "k"
		if _, err := s.RotateRefresh(t.Context(), in); err != nil {
			t.Fatal(err)
		}
		// Long after the grace window: with the key this would end the
		// session; without it nothing happens.
		rejected(t, s, rotateIn("u1", "s1/1", "s1/2", at(2*time.Hour)), store.ErrKeyMismatch)
		in = rotateIn("u1", "s1/2", "s1/3", at(2*time.Hour))
		in.JKT = "k"
		if _, err := s.RotateRefresh(t.Context(), in); err != nil {
			t.Fatalf("the owner's refresh after the refused one: %v", err)
		}
	}},
	{"an unbound session stays unbound whatever key comes", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
		in.JKT = "some-key"
		res, err := s.RotateRefresh(t.Context(), in)
		wantErr(t, "RotateRefresh", err, nil)
		if res.Session.JKT != "" || mustSession(t, s, "u1", "s1").JKT != "" {
			t.Fatalf("a proof on refresh bound the session: %q", res.Session.JKT)
		}
	}},
	{"RequireBound refuses an unbound session and changes nothing", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Hour))
		in.JKT, in.RequireBound = "k", true
		rejected(t, s, in, store.ErrUnbound)
	}},
}

var reauthTests = []test{
	{"issues a new generation and touches the session", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		want := rotated(sess, "s1/2", at(time.Hour), refreshTTL)
		want = rotated(want, "s1/3re", at(2*time.Hour), time.Hour)
		want.AuthTime = at(2 * time.Hour)
		got, err := s.Reauth(t.Context(), sess.UserID, sess.ID, 3, hash("s1/3re"), at(2*time.Hour), time.Hour, idle)
		wantErr(t, "Reauth", err, nil)
		checkSession(t, "Reauth result", got, want)
		checkSession(t, "Session after Reauth", mustSession(t, s, "u1", "s1"), want)
		mustRotate(t, s, "s1/3re", "s1/4", at(2*time.Hour+time.Minute))
	}},
	{"refresh expiry is capped by the absolute expiry", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		wantErr(t, "Touch", s.Touch(t.Context(), sess.UserID, sess.ID, sess.ExpiresAt.Add(-2*time.Hour)), nil)
		got, err := s.Reauth(t.Context(), sess.UserID, sess.ID, 2, hash("s1/2re"), sess.ExpiresAt.Add(-time.Hour), refreshTTL, idle)
		wantErr(t, "Reauth", err, nil)
		if !got.RefreshExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("RefreshExpiresAt = %s, want %s", ts(got.RefreshExpiresAt), ts(sess.ExpiresAt))
		}
	}},
	{"unknown session is ErrNotFound", func(t *testing.T, s store.Store) {
		_, err := s.Reauth(t.Context(), id("u1"), id("nope"), 2, hash("x"), at(0), refreshTTL, idle)
		wantErr(t, "Reauth", err, store.ErrNotFound)
	}},
	{"a generation other than the next is ErrConflict and changes nothing", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		before := mustSession(t, s, "u1", "s1")
		for _, gen := range []int64{1, 3} {
			_, err := s.Reauth(t.Context(), id("u1"), id("s1"), gen, hash("s1/xre"), at(time.Minute), refreshTTL, idle)
			wantErr(t, "Reauth", err, store.ErrConflict)
		}
		checkSession(t, "session after refused reauths", mustSession(t, s, "u1", "s1"), before)
	}},
	{"an idle session is ErrNotFound", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		_, err := s.Reauth(t.Context(), id("u1"), id("s1"), 2, hash("s1/2re"), at(idle), refreshTTL, idle)
		wantErr(t, "Reauth", err, store.ErrNotFound)
	}},
	{"the token before a reauth is ErrNotFound within grace", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		mustRotate(t, s, "s1/1", "s1/2", at(time.Hour))
		_, err := s.Reauth(t.Context(), id("u1"), id("s1"), 3, hash("s1/3re"), at(time.Hour+time.Second), refreshTTL, idle)
		wantErr(t, "Reauth", err, nil)
		// s1/2 is now the previous generation, spent by the reauth just now:
		// presenting it derives successor s1/3, which is not the current token.
		rejected(t, s, rotateIn("u1", "s1/2", "s1/3", at(time.Hour+2*time.Second)), store.ErrNotFound)
		mustRotate(t, s, "s1/3re", "s1/4", at(time.Hour+3*time.Second))
	}},
}
