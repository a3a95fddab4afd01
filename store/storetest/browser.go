package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var browserTests = []test{
	{"slide moves last seen and the cookie lifetime, capped by the absolute expiry", func(t *testing.T, s store.Store) {
		sess := newSession("b1", "u1", "d", at(0))
		sess.CookieHash = hash("cookie-b1")
		mustCreate(t, s, sess, "b1/1")
		got, err := s.Slide(t.Context(), sess.UserID, sess.ID, at(time.Hour), refreshTTL)
		wantErr(t, "Slide", err, nil)
		want := sess
		want.LastSeenAt, want.RefreshExpiresAt = at(time.Hour), at(time.Hour+refreshTTL)
		checkSession(t, "Slide result", got, want)
		checkSession(t, "after Slide", mustSession(t, s, "u1", "b1"), want)
		late := sess.ExpiresAt.Add(-time.Hour)
		got, err = s.Slide(t.Context(), sess.UserID, sess.ID, late, refreshTTL)
		wantErr(t, "Slide(late)", err, nil)
		if !got.RefreshExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("RefreshExpiresAt = %s, want capped at %s", ts(got.RefreshExpiresAt), ts(sess.ExpiresAt))
		}
		_, err = s.Slide(t.Context(), sess.UserID, id("nope"), at(0), refreshTTL)
		wantErr(t, "Slide(unknown)", err, store.ErrNotFound)
		_, err = s.Slide(t.Context(), id("u2"), sess.ID, at(0), refreshTTL)
		wantErr(t, "Slide(another user's)", err, store.ErrNotFound)
	}},
	{"renew moves the session to a new id and cookie and revokes the old id", func(t *testing.T, s store.Store) {
		sess := newSession("b1", "u1", "d", at(0))
		sess.CookieHash = hash("cookie-b1")
		mustCreate(t, s, sess, "b1/1")
		mustRotate(t, s, "b1/1", "b1/2", at(time.Minute))
		now := at(time.Hour)
		got, ended, err := s.RenewSession(t.Context(), store.RenewSession{
			UserID: sess.UserID, OldID: sess.ID, NewID: id("b2"), CookieHash: hash("cookie-b2"), RefreshHash: hash("b2/1"),
			Now: now, IdleTimeout: idle, RevokeUntil: now.Add(revokeFor),
		})
		wantErr(t, "RenewSession", err, nil)
		if got.ID != id("b2") || !sameBytes(got.CookieHash, hash("cookie-b2")) || got.RefreshGen != 1 ||
			!got.AuthTime.Equal(now) || !got.LastSeenAt.Equal(now) || got.UserID != sess.UserID || got.DeviceID != sess.DeviceID {
			t.Errorf("renewed session: %s", sessionString(got))
		}
		if ended.Session.ID != sess.ID || ended.Revocation.SessionID != sess.ID || ended.Revocation.ID <= 0 {
			t.Errorf("ended: %+v", ended)
		}
		gone(t, s, "u1", "b1")
		if _, err := s.SessionByCookie(t.Context(), sess.UserID, sess.ID, hash("cookie-b1")); err == nil {
			t.Error("the old cookie still finds a session")
		}
		found, err := s.SessionByCookie(t.Context(), sess.UserID, id("b2"), hash("cookie-b2"))
		wantErr(t, "SessionByCookie(new)", err, nil)
		checkSession(t, "SessionByCookie(new)", found, got)
		mustRotate(t, s, "b2/1", "b2/2", now.Add(time.Second))
	}},
	{"renew of an idle, unknown or another user's session is ErrNotFound", func(t *testing.T, s store.Store) {
		sess := newSession("b1", "u1", "d", at(0))
		sess.CookieHash = hash("cookie-b1")
		mustCreate(t, s, sess, "b1/1")
		for _, old := range []struct{ user, id string }{{sess.UserID, id("nope")}, {sess.UserID, sess.ID}, {id("u2"), sess.ID}} {
			_, _, err := s.RenewSession(t.Context(), store.RenewSession{
				UserID: old.user, OldID: old.id, NewID: id("b2"), CookieHash: hash("c2"), RefreshHash: hash("b2/1"),
				Now: at(idle), IdleTimeout: idle, RevokeUntil: at(idle + revokeFor),
			})
			wantErr(t, "RenewSession", err, store.ErrNotFound)
		}
	}},
}
