package redisstore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"context"
	"path/filepath"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func sha(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func addUser(t testing.TB, s store.Store, id string) store.User {
	t.Helper()
	u := store.User{ID: id, Username: id, PasswordHash: "old", Roles: []string{"user"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func login(s store.Store, ctx context.Context, uid, sid string, cred int64) error {
	_, err := s.CreateSession(ctx, store.CreateSession{
		Session: store.Session{ID: sid, UserID: uid, DeviceID: sid, CreatedAt: t0, LastSeenAt: t0, AuthTime: t0,
			ExpiresAt: t0.Add(24 * time.Hour), RefreshExpiresAt: t0.Add(time.Hour), RefreshGen: 1,
			RotatedAt: t0, RefreshHash: sha(sid)},
		CredVersion: cred, Now: t0, IdleTimeout: time.Hour, RevokeUntil: t0.Add(15 * time.Minute),
	})
	return err
}

func mustLogin(t *testing.T, s store.Store, uid, sid string, cred int64) {
	t.Helper()
	if err := login(s, t.Context(), uid, sid, cred); err != nil {
		t.Fatalf("CreateSession(%s): %v", sid, err)
	}
}

func sessionIDs(t *testing.T, s store.Store, uid string) []string {
	t.Helper()
	ss, err := s.UserSessions(t.Context(), uid)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range ss {
		ids = append(ids, x.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestSetPasswordEndsSessionsDropsChallengesAndRefusesOldLogins(t *testing.T) {
	s := open(t)
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "keep", 0)
	mustLogin(t, s, "u1", "other", 0)
	ch := store.Challenge{Hash: sha("ch"), UserID: "u1", ExpiresAt: t0.Add(time.Minute)}
	if err := s.AddChallenge(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	u, ended, err := s.SetPassword(t.Context(), store.SetPassword{UserID: "u1", Hash: "new", Keep: "keep",
		Reason: "password-change", Now: t0, RevokeUntil: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if u.CredVersion != 1 || u.PasswordHash != "new" {
		t.Errorf("user after SetPassword: version %d hash %q", u.CredVersion, u.PasswordHash)
	}
	if len(ended) != 1 || ended[0].Session.ID != "other" || ended[0].Reason != "password-change" || ended[0].Revocation.ID <= 0 {
		t.Errorf("ended %+v, want other with its revocation", ended)
	}
	if got := sessionIDs(t, s, "u1"); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("sessions %v, want [keep]", got)
	}
	if _, err := s.ConsumeChallenge(t.Context(), "u1", ch.Hash, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("challenge after SetPassword: %v, want ErrNotFound", err)
	}
	if err := login(s, t.Context(), "u1", "stale", 0); !errors.Is(err, store.ErrCredentialChanged) {
		t.Errorf("login checked against the old password: %v, want ErrCredentialChanged", err)
	}
	mustLogin(t, s, "u1", "fresh", 1)
	if _, _, err := s.SetPassword(t.Context(), store.SetPassword{UserID: "nobody", Hash: "x", Now: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword(nobody): %v, want ErrNotFound", err)
	}
}

// failingUsers fails SetPassword and DeleteUser, as a users store that went
// away between the Redis script and its own write.
type failingUsers struct{ store.Store }

var errUsersDown = errors.New("users store down")

func (failingUsers) SetPassword(context.Context, store.SetPassword) (store.User, []store.Ended, error) {
	return store.User{}, nil, errUsersDown
}

func (failingUsers) DeleteUser(context.Context, string) error { return errUsersDown }

func TestSetPasswordWhenTheUsersStoreFailsFailsClosed(t *testing.T) {
	s, _ := openOn(t, func(u store.Store) store.Store { return failingUsers{u} })
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "a", 0)
	_, _, err := s.SetPassword(t.Context(), store.SetPassword{UserID: "u1", Hash: "new", Reason: "reset",
		Now: t0, RevokeUntil: t0.Add(time.Hour)})
	if !errors.Is(err, errUsersDown) {
		t.Fatalf("SetPassword: %v, want the users store's error", err)
	}
	// Closed: the sessions are gone (the user logs in again)...
	if got := sessionIDs(t, s, "u1"); len(got) != 0 {
		t.Errorf("sessions %v survived a half-done password change", got)
	}
	// ...with the password that still holds: the Redis version was restored.
	mustLogin(t, s, "u1", "again", 0)
	// DeleteUser that fails in the users store leaves the user able to log in.
	if err := s.DeleteUser(t.Context(), "u1"); !errors.Is(err, errUsersDown) {
		t.Fatalf("DeleteUser: %v", err)
	}
	mustLogin(t, s, "u1", "after-failed-delete", 0)
}

func TestLoginAfterDeleteUserIsRefused(t *testing.T) {
	s := open(t)
	addUser(t, s, "u1")
	if err := s.DeleteUser(t.Context(), "u1"); err != nil {
		t.Fatal(err)
	}
	if err := login(s, t.Context(), "u1", "late", 0); !errors.Is(err, store.ErrCredentialChanged) {
		t.Errorf("login that checked the password before the delete: %v, want ErrCredentialChanged", err)
	}
	if err := s.DeleteUser(t.Context(), "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteUser(again): %v, want ErrNotFound", err)
	}
}

func TestSetRolesCopiesRolesOntoSessions(t *testing.T) {
	s := open(t)
	addUser(t, s, "u1")
	mustLogin(t, s, "u1", "a", 0)
	mustLogin(t, s, "u1", "b", 0)
	if _, err := s.SetRoles(t.Context(), "u1", []string{"admin", "user"}, t0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		got, err := s.Session(t.Context(), "u1", id)
		if err != nil || !slices.Equal(got.Roles, []string{"admin", "user"}) {
			t.Errorf("Session(%s).Roles = %q, %v", id, got.Roles, err)
		}
	}
}

func TestNoRedisIsUnavailable(t *testing.T) {
	users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer users.Close()
	// Port 1 on loopback: nothing listens there.
	_, err = redisstore.Open(t.Context(), "redis://127.0.0.1:1/0", users, redisstore.Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open without a Redis: %v, want ErrUnavailable", err)
	}
	_, err = redisstore.Open(t.Context(), "redis-cluster://127.0.0.1:1,127.0.0.1:2", users, redisstore.Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open without a Redis Cluster: %v, want ErrUnavailable", err)
	}
	for _, u := range []string{"redis-cluster://127.0.0.1:7000/3", "http://x", "redis-cluster://"} {
		if _, err := redisstore.Open(t.Context(), u, users, redisstore.Options{}); err == nil || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Open(%s): %v, want a refusal", u, err)
		}
	}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }
