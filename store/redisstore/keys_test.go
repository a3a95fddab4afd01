package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

func rawClient(t *testing.T) rueidis.Client {
	t.Helper()
	co, err := rueidis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	co.DisableCache = true
	c, err := rueidis.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestEveryKeyExpiresAndUserKeysShareTheirTag checks the key layout of
// doc.go: a user's state is one key in their {u:<id>} slot, the log's keys
// share {r} and the buckets {rl}, and every key but the revocation log's
// (trimmed by Sweep) has a TTL that matches its meaning.
func TestEveryKeyExpiresAndUserKeysShareTheirTag(t *testing.T) {
	s, prefix := openOn(t, nil)
	c := rawClient(t)
	addUser(t, s, "u1")
	in := store.CreateSession{
		Session: store.Session{ID: "s1", UserID: "u1", CreatedAt: t0, LastSeenAt: t0, AuthTime: t0,
			ExpiresAt: t0.Add(24 * time.Hour), RefreshExpiresAt: t0.Add(2 * time.Hour), RefreshGen: 1,
			RotatedAt: t0, RefreshHash: sha("s1/1"), CookieHash: sha("cookie")},
		Now: t0, IdleTimeout: time.Hour, RevokeUntil: t0.Add(time.Hour),
	}
	if _, err := s.CreateSession(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	mustLogin(t, s, "u1", "s2", 0)
	if _, err := s.EndSessions(t.Context(), "u1", []string{"s2"}, "logout", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Take(t.Context(), []store.Bucket{{Key: "ip:1", Rate: 0.1, Burst: 3}}, time.Now()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, _, err := s.SetPassword(t.Context(), store.SetPassword{UserID: "u1", Hash: "h", Keep: "s1",
		Now: t0, RevokeUntil: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	if err := s.AddChallenge(t.Context(), store.Challenge{Hash: sha("ch"), UserID: "u1",
		ExpiresAt: time.Now().Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	// Everything of u1 is one hash (sessions, challenge, credential
	// version); it lives as long as its longest-lived part: the session's
	// idle deadline (1h) plus a minute.
	want := map[string]time.Duration{
		prefix + "{u:=u1}":   time.Hour + time.Minute,
		prefix + "{rl}:ip:1": 10*time.Second + time.Minute, // full again in 1/rate
		prefix + "{r}:seq":   -1,
		prefix + "{r}:log":   -1,
		prefix + "{r}:sids":  -1,
	}
	keys, err := c.Do(t.Context(), c.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if !strings.HasPrefix(rest, "{u:=u1}") && !strings.HasPrefix(rest, "{r}:") && !strings.HasPrefix(rest, "{rl}:") {
			t.Errorf("key %s: every key must start with its tag", k)
		}
		ttl, err := c.Do(t.Context(), c.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[k]
		switch {
		case !ok:
			t.Errorf("unexpected key %s (ttl %dms)", k, ttl)
		case w < 0 && ttl != -1:
			t.Errorf("%s: ttl %dms, want none (trimmed by Sweep)", k, ttl)
		case w >= 0 && (time.Duration(ttl)*time.Millisecond > w || time.Duration(ttl)*time.Millisecond < w-10*time.Second):
			t.Errorf("%s: ttl %v, want about %v", k, time.Duration(ttl)*time.Millisecond, w)
		}
		delete(want, k)
	}
	for k := range want {
		t.Errorf("missing key %s", k)
	}
}
