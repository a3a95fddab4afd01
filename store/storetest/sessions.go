package storetest

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var sessionTests = []test{
	{"unknown session, or another user's, is ErrNotFound", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
		_, err := s.Session(t.Context(), id("u1"), id("nope"))
		wantErr(t, "Session", err, store.ErrNotFound)
		_, err = s.Session(t.Context(), id("u2"), id("s1"))
		wantErr(t, "Session(as u2)", err, store.ErrNotFound)
		wantErr(t, "Touch(as u2)", s.Touch(t.Context(), id("u2"), id("s1"), at(time.Hour)), store.ErrNotFound)
		_, err = s.RotateRefresh(t.Context(), rotateIn("u2", "s1/1", "s1/2", at(time.Minute)))
		wantErr(t, "RotateRefresh(as u2)", err, store.ErrNotFound)
		_, err = s.Reauth(t.Context(), id("u2"), id("s1"), 2, hash("s1/2re"), at(time.Minute), refreshTTL, idle)
		wantErr(t, "Reauth(as u2)", err, store.ErrNotFound)
		checkSession(t, "s1 after another user's attempts", mustSession(t, s, "u1", "s1"), newSession("s1", "u1", "d", at(0)))
	}},
	{"session by cookie", func(t *testing.T, s store.Store) {
		a := newSession("a", "u1", "browser", at(0))
		a.CookieHash = hash("cookie-a")
		mustCreate(t, s, a, "a/1")
		b := newSession("b", "u2", "browser", at(0))
		b.CookieHash = hash("cookie-b")
		mustCreate(t, s, b, "b/1")
		got, err := s.SessionByCookie(t.Context(), a.UserID, a.ID, hash("cookie-a"))
		wantErr(t, "SessionByCookie(a)", err, nil)
		checkSession(t, "SessionByCookie(a)", got, a)
		got, err = s.SessionByCookie(t.Context(), b.UserID, b.ID, hash("cookie-b"))
		wantErr(t, "SessionByCookie(b)", err, nil)
		checkSession(t, "SessionByCookie(b)", got, b)
		_, err = s.SessionByCookie(t.Context(), a.UserID, a.ID, hash("cookie-c"))
		wantErr(t, "SessionByCookie(unknown)", err, store.ErrNotFound)
		_, err = s.SessionByCookie(t.Context(), a.UserID, a.ID, hash("cookie-b"))
		wantErr(t, "SessionByCookie(another session's cookie)", err, store.ErrNotFound)
		_, err = s.SessionByCookie(t.Context(), b.UserID, a.ID, hash("cookie-a"))
		wantErr(t, "SessionByCookie(another user)", err, store.ErrNotFound)
	}},
	{"session by cookie never matches a nil or empty hash", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("nil", "u1", "api", at(0)), "nil/1")
		empty := newSession("empty", "u1", "api2", at(0))
		empty.CookieHash = []byte{}
		mustCreate(t, s, empty, "empty/1")
		for _, h := range [][]byte{nil, {}} {
			_, err := s.SessionByCookie(t.Context(), id("u1"), id("nil"), h)
			wantErr(t, "SessionByCookie(empty)", err, store.ErrNotFound)
			_, err = s.SessionByCookie(t.Context(), id("u1"), id("empty"), h)
			wantErr(t, "SessionByCookie(empty)", err, store.ErrNotFound)
		}
		got := mustSession(t, s, "u1", "empty")
		if len(got.CookieHash) != 0 {
			t.Errorf("CookieHash = %x, want none", got.CookieHash)
		}
	}},
	{"user sessions are newest first, ties by id descending", func(t *testing.T, s store.Store) {
		mustCreate(t, s, newSession("old", "u1", "a", at(0)), "old/1")
		tie := []string{"tie-1", "tie-2", "tie-3"}
		for _, n := range tie {
			mustCreate(t, s, newSession(n, "u1", n, at(time.Hour)), n+"/1")
		}
		mustCreate(t, s, newSession("new", "u1", "c", at(2*time.Hour)), "new/1")
		mustCreate(t, s, newSession("bob", "u2", "c", at(3*time.Hour)), "bob/1")
		tieIDs := []string{id(tie[0]), id(tie[1]), id(tie[2])}
		sort.Sort(sort.Reverse(sort.StringSlice(tieIDs)))
		want := append(append([]string{id("new")}, tieIDs...), id("old"))
		ss, err := s.UserSessions(t.Context(), id("u1"))
		wantErr(t, "UserSessions", err, nil)
		if got := sessionIDs(ss); !slices.Equal(got, want) {
			t.Errorf("UserSessions = %v\nwant %v", got, want)
		}
		ss, err = s.UserSessions(t.Context(), id("nobody"))
		wantErr(t, "UserSessions(nobody)", err, nil)
		if len(ss) != 0 {
			t.Errorf("UserSessions(nobody) = %v", sessionIDs(ss))
		}
	}},
	{"touch sets last seen and nothing else", func(t *testing.T, s store.Store) {
		sess := newSession("s1", "u1", "d", at(0))
		mustCreate(t, s, sess, "s1/1")
		wantErr(t, "Touch", s.Touch(t.Context(), sess.UserID, sess.ID, at(time.Hour)), nil)
		sess.LastSeenAt = at(time.Hour)
		checkSession(t, "after Touch", mustSession(t, s, "u1", "s1"), sess)
	}},
	{"touch unknown is ErrNotFound", func(t *testing.T, s store.Store) {
		wantErr(t, "Touch", s.Touch(t.Context(), id("u1"), id("nope"), at(0)), store.ErrNotFound)
	}},
	{"count sessions", func(t *testing.T, s store.Store) {
		n, err := s.CountSessions(t.Context())
		wantErr(t, "CountSessions", err, nil)
		if n != 0 {
			t.Errorf("CountSessions on an empty store = %d", n)
		}
		for _, name := range []string{"a", "b", "c"} {
			mustCreate(t, s, newSession(name, "u1", name, at(0)), name+"/1")
		}
		_, err = s.EndSessions(t.Context(), id("u1"), []string{id("a")}, "logout", at(time.Hour), at(2*time.Hour))
		wantErr(t, "EndSessions", err, nil)
		if n, err = s.CountSessions(t.Context()); err != nil || n != 2 {
			t.Errorf("CountSessions = %d, %v; want 2", n, err)
		}
	}},
}
