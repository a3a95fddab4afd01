package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// newChallenge is u1's challenge named name, expiring at exp.
func newChallenge(name string, exp time.Time) store.Challenge {
	return store.Challenge{
		Hash: hash("challenge:" + name), UserID: id("u1"), DeviceID: "dev-" + name,
		IP: "2001:db8::1", UserAgent: "storetest/1.0 (" + name + ")", ExpiresAt: exp,
	}
}

func challengeString(c store.Challenge) string {
	return fmt.Sprintf("{hash=%x user=%s device=%q ip=%q ua=%q exp=%s}",
		c.Hash, c.UserID, c.DeviceID, c.IP, c.UserAgent, ts(c.ExpiresAt))
}

func mustAddChallenge(t *testing.T, s store.Store, c store.Challenge) {
	t.Helper()
	if err := s.AddChallenge(t.Context(), c); err != nil {
		t.Fatalf("AddChallenge: %v", err)
	}
}

var challengeTests = []test{
	{"add and consume round-trip every field", func(t *testing.T, s store.Store) {
		want := newChallenge("c1", at(5*time.Minute))
		mustAddChallenge(t, s, want)
		other := newChallenge("c2", at(5*time.Minute))
		other.DeviceID = "" // no device presented
		mustAddChallenge(t, s, other)
		for _, c := range []store.Challenge{want, other} {
			got, err := s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(time.Minute))
			wantErr(t, "ConsumeChallenge", err, nil)
			if g, w := challengeString(got), challengeString(c); g != w {
				t.Errorf("ConsumeChallenge:\n got %s\nwant %s", g, w)
			}
		}
	}},
	{"another user's challenge is ErrNotFound and stays", func(t *testing.T, s store.Store) {
		c := newChallenge("c1", at(5*time.Minute))
		mustAddChallenge(t, s, c)
		_, err := s.ConsumeChallenge(t.Context(), id("u2"), c.Hash, at(time.Minute))
		wantErr(t, "ConsumeChallenge(as u2)", err, store.ErrNotFound)
		_, err = s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(time.Minute))
		wantErr(t, "ConsumeChallenge(as u1)", err, nil)
	}},
	{"consume twice: the second is ErrNotFound", func(t *testing.T, s store.Store) {
		c := newChallenge("c1", at(5*time.Minute))
		mustAddChallenge(t, s, c)
		_, err := s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(time.Minute))
		wantErr(t, "ConsumeChallenge", err, nil)
		_, err = s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(time.Minute))
		wantErr(t, "ConsumeChallenge(again)", err, store.ErrNotFound)
	}},
	{"unknown challenge is ErrNotFound", func(t *testing.T, s store.Store) {
		mustAddChallenge(t, s, newChallenge("c1", at(5*time.Minute)))
		for _, h := range [][]byte{hash("nope"), nil, {}} {
			_, err := s.ConsumeChallenge(t.Context(), id("u1"), h, at(0))
			wantErr(t, fmt.Sprintf("ConsumeChallenge(%x)", h), err, store.ErrNotFound)
		}
		if _, err := s.ConsumeChallenge(t.Context(), id("u1"), hash("challenge:c1"), at(0)); err != nil {
			t.Errorf("ConsumeChallenge(c1) after misses: %v", err)
		}
	}},
	{"expired challenge is ErrNotFound and gone", func(t *testing.T, s store.Store) {
		exp := at(5 * time.Minute)
		for _, tc := range []struct {
			name string
			now  time.Time
		}{{"at", exp}, {"after", exp.Add(time.Second)}} {
			c := newChallenge(tc.name, exp)
			mustAddChallenge(t, s, c)
			_, err := s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, tc.now)
			wantErr(t, "ConsumeChallenge("+tc.name+" expiry)", err, store.ErrNotFound)
			_, err = s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(0))
			wantErr(t, "ConsumeChallenge(before expiry, after an expired attempt)", err, store.ErrNotFound)
		}
		c := newChallenge("live", exp)
		mustAddChallenge(t, s, c)
		if _, err := s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, exp.Add(-time.Microsecond)); err != nil {
			t.Errorf("ConsumeChallenge just before expiry: %v", err)
		}
	}},
}
