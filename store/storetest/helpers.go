package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/google/uuid"
)

// base is the suite's fixed clock origin; tests use at(d).
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	lifetime   = 30 * 24 * time.Hour // session absolute lifetime
	refreshTTL = 7 * 24 * time.Hour
	idle       = 24 * time.Hour
	grace      = 10 * time.Second
	revokeFor  = 15 * time.Minute // revocations are kept this long
)

func at(d time.Duration) time.Time { return base.Add(d) }

// id maps a readable name to a stable UUID, for backends with UUID columns.
func id(name string) string { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String() }

// hash stands in for the server's token hashing.
func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newSession is a fresh generation-1 session created at c.
func newSession(name, user, device string, c time.Time) store.Session {
	return store.Session{
		ID: id(name), UserID: id(user), DeviceID: device,
		CreatedAt: c, LastSeenAt: c, AuthTime: c,
		ExpiresAt: c.Add(lifetime), RefreshExpiresAt: c.Add(refreshTTL),
		RefreshGen: 1, RotatedAt: c,
		IP: "192.0.2.1", UserAgent: "storetest/1.0 (" + name + ")",
		Username: user, Roles: []string{"user"}, RefreshHash: hash(name + "/1"),
	}
}

// suiteUsers are created in every fresh store outside the Users group:
// CreateSession checks the user's credential version.
var suiteUsers = []string{"u1", "u2"}

func addSuiteUsers(t *testing.T, s store.Store) {
	t.Helper()
	for _, name := range suiteUsers {
		mustUser(t, s, name, "suite-"+name, base)
	}
}

// createIn is a CreateSession of sess with refresh token token, without
// limit or device replacement, at the session's creation time.
func createIn(sess store.Session, token string) store.CreateSession {
	sess.RefreshHash = hash(token)
	return store.CreateSession{
		Session: sess, Now: sess.CreatedAt,
		RevokeUntil: sess.CreatedAt.Add(revokeFor), IdleTimeout: idle,
	}
}

// tokenOf reads the suite's token names, "session/gen[suffix]": the session
// and generation a real token carries under its MAC. A name without a
// generation claims generation 1.
func tokenOf(token string) (string, int64) {
	name, rest, _ := strings.Cut(token, "/")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	gen, err := strconv.ParseInt(rest[:end], 10, 64)
	if err != nil {
		gen = 1
	}
	return id(name), gen
}

// mustCreate inserts sess with refresh token token and no limit.
func mustCreate(t *testing.T, s store.Store, sess store.Session, token string) {
	t.Helper()
	if _, err := s.CreateSession(t.Context(), createIn(sess, token)); err != nil {
		t.Fatalf("CreateSession(%s): %v", sess.ID, err)
	}
}

// rotateIn presents user's token at now with successor next and the suite
// defaults (a real refresh token carries its user, session and generation).
func rotateIn(user, token, next string, now time.Time) store.Rotate {
	sid, gen := tokenOf(token)
	return store.Rotate{
		UserID: id(user), SessionID: sid, Gen: gen,
		PresentedHash: hash(token), SuccessorHash: hash(next), Now: now,
		Grace: grace, RefreshTTL: refreshTTL, IdleTimeout: idle,
		RevokeUntil: now.Add(revokeFor),
	}
}

func mustUser(t *testing.T, s store.Store, name, username string, created time.Time) store.User {
	t.Helper()
	u := store.User{
		ID: id(name), Username: username, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$" + name,
		Roles: []string{"user"}, CreatedAt: created, UpdatedAt: created,
	}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// ts formats a time truncated to the microsecond, for comparisons.
func ts(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func sessionString(s store.Session) string {
	roles := s.Roles
	if len(roles) == 0 {
		roles = nil
	}
	return fmt.Sprintf("{id=%s user=%s device=%q created=%s seen=%s auth=%s exp=%s rexp=%s gen=%d rotated=%s ip=%q ua=%q cookie=%x name=%q roles=%q refresh=%x jkt=%q}",
		s.ID, s.UserID, s.DeviceID, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.AuthTime),
		ts(s.ExpiresAt), ts(s.RefreshExpiresAt), s.RefreshGen, ts(s.RotatedAt), s.IP, s.UserAgent, s.CookieHash,
		s.Username, roles, s.RefreshHash, s.JKT)
}

func checkSession(t *testing.T, what string, got, want store.Session) {
	t.Helper()
	if g, w := sessionString(got), sessionString(want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func userString(u store.User) string {
	return fmt.Sprintf("{id=%s name=%q hash=%q roles=%q created=%s updated=%s}",
		u.ID, u.Username, u.PasswordHash, u.Roles, ts(u.CreatedAt), ts(u.UpdatedAt))
}

func checkUser(t *testing.T, what string, got, want store.User) {
	t.Helper()
	if len(got.Roles) == 0 && len(want.Roles) == 0 {
		got.Roles, want.Roles = nil, nil
	}
	if g, w := userString(got), userString(want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func revString(r store.Revocation) string {
	return fmt.Sprintf("{id=%d session=%s user=%s notBefore=%s until=%s created=%s}",
		r.ID, r.SessionID, r.UserID, ts(r.NotBefore), ts(r.Until), ts(r.CreatedAt))
}

// checkEnded checks that e ended sess for reason, with a revocation written
// at now and kept until until.
func checkEnded(t *testing.T, e store.Ended, sess store.Session, reason string, now, until time.Time) {
	t.Helper()
	if e.Reason != reason {
		t.Errorf("Ended.Reason = %q, want %q", e.Reason, reason)
	}
	checkSession(t, "Ended.Session", e.Session, sess)
	r := e.Revocation
	if r.ID <= 0 {
		t.Errorf("Ended.Revocation.ID = %d, want > 0", r.ID)
	}
	want := store.Revocation{ID: r.ID, SessionID: sess.ID, UserID: sess.UserID, Until: until, CreatedAt: now}
	if g, w := revString(r), revString(want); g != w {
		t.Errorf("Ended.Revocation:\n got %s\nwant %s", g, w)
	}
}

// wantErr fails unless err matches target (nil: no error).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if target == nil && err != nil || target != nil && !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// gone checks that user's session name no longer exists and none of its
// tokens is known.
func gone(t *testing.T, s store.Store, user, name string, tokens ...string) {
	t.Helper()
	_, err := s.Session(t.Context(), id(user), id(name))
	wantErr(t, "Session("+name+") after it ended", err, store.ErrNotFound)
	for _, tok := range tokens {
		_, err := s.RotateRefresh(t.Context(), rotateIn(user, tok, tok+"'", at(time.Minute)))
		wantErr(t, "RotateRefresh("+tok+") after its session ended", err, store.ErrNotFound)
	}
}

// ownerName is the suite user name of sess's user (u1 or u2).
func ownerName(sess store.Session) string {
	for _, n := range suiteUsers {
		if id(n) == sess.UserID {
			return n
		}
	}
	return "unknown user " + sess.UserID
}

// mustSession reads user's session name.
func mustSession(t *testing.T, s store.Store, user, name string) store.Session {
	t.Helper()
	sess, err := s.Session(t.Context(), id(user), id(name))
	if err != nil {
		t.Fatalf("Session(%s): %v", name, err)
	}
	return sess
}

// sessionIDs lists the ids of ss in order.
func sessionIDs(ss []store.Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func endedIDs(es []store.Ended) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Session.ID
	}
	return out
}

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }

// parallel runs fn(0..n-1) on n goroutines released together.
func parallel(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}
