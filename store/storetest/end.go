package storetest

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// twoUsers creates u1's sessions a1, a2, a3 and u2's session b1.
func twoUsers(t *testing.T, s store.Store) map[string]store.Session {
	t.Helper()
	out := map[string]store.Session{}
	for i, n := range []string{"a1", "a2", "a3", "b1"} {
		user := "u1"
		if n[0] == 'b' {
			user = "u2"
		}
		sess := newSession(n, user, "dev-"+n, at(time.Duration(i)*time.Minute))
		mustCreate(t, s, sess, n+"/1")
		out[n] = sess
	}
	return out
}

// checkEndedSet checks that ended holds exactly the named sessions, ended for
// reason at now until until.
func checkEndedSet(t *testing.T, ended []store.Ended, ss map[string]store.Session, names []string, reason string, now, until time.Time) {
	t.Helper()
	if len(ended) != len(names) {
		t.Fatalf("ended %d sessions, want %v", len(ended), names)
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].Session.CreatedAt.Before(ended[j].Session.CreatedAt) })
	for i, n := range names {
		checkEnded(t, ended[i], ss[n], reason, now, until)
	}
}

var endTests = []test{
	{"end sessions ends only the user's listed sessions", func(t *testing.T, s store.Store) {
		ss := twoUsers(t, s)
		now, until := at(time.Hour), at(2*time.Hour)
		ended, err := s.EndSessions(t.Context(), id("u1"), []string{id("a1"), id("b1"), id("a2"), id("nope")}, "logout", now, until)
		wantErr(t, "EndSessions", err, nil)
		checkEndedSet(t, ended, ss, []string{"a1", "a2"}, "logout", now, until)
		gone(t, s, "u1", "a1", "a1/1")
		gone(t, s, "u1", "a2", "a2/1")
		mustSession(t, s, "u1", "a3")
		mustSession(t, s, "u2", "b1")
	}},
	{"end sessions of one session not the user's is ErrNotFound", func(t *testing.T, s store.Store) {
		twoUsers(t, s)
		for _, n := range []string{"b1", "nope"} {
			ended, err := s.EndSessions(t.Context(), id("u1"), []string{id(n)}, "logout", at(time.Hour), at(2*time.Hour))
			wantErr(t, "EndSessions("+n+")", err, store.ErrNotFound)
			if len(ended) != 0 {
				t.Errorf("EndSessions(%s) ended %v", n, endedIDs(ended))
			}
		}
		mustSession(t, s, "u2", "b1")
		revs, err := s.Revocations(t.Context(), at(time.Hour), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 0 {
			t.Errorf("revocations written: %+v", revs)
		}
	}},
	{"end sessions with no ids ends nothing", func(t *testing.T, s store.Store) {
		twoUsers(t, s)
		ended, err := s.EndSessions(t.Context(), id("u1"), nil, "logout", at(time.Hour), at(2*time.Hour))
		wantErr(t, "EndSessions", err, nil)
		if len(ended) != 0 {
			t.Errorf("ended %v", endedIDs(ended))
		}
		if n, _ := s.CountSessions(t.Context()); n != 4 {
			t.Errorf("CountSessions = %d, want 4", n)
		}
	}},
	{"end user sessions ends them all", func(t *testing.T, s store.Store) {
		ss := twoUsers(t, s)
		now, until := at(time.Hour), at(2*time.Hour)
		ended, err := s.EndUserSessions(t.Context(), id("u1"), "", "password-change", now, until)
		wantErr(t, "EndUserSessions", err, nil)
		checkEndedSet(t, ended, ss, []string{"a1", "a2", "a3"}, "password-change", now, until)
		for _, n := range []string{"a1", "a2", "a3"} {
			gone(t, s, "u1", n, n+"/1")
		}
		mustSession(t, s, "u2", "b1")
	}},
	{"end user sessions keeps keep", func(t *testing.T, s store.Store) {
		ss := twoUsers(t, s)
		now, until := at(time.Hour), at(2*time.Hour)
		ended, err := s.EndUserSessions(t.Context(), id("u1"), id("a2"), "logout-others", now, until)
		wantErr(t, "EndUserSessions", err, nil)
		checkEndedSet(t, ended, ss, []string{"a1", "a3"}, "logout-others", now, until)
		checkSession(t, "kept", mustSession(t, s, "u1", "a2"), ss["a2"])
		mustSession(t, s, "u2", "b1")
		ended, err = s.EndUserSessions(t.Context(), id("nobody"), "", "logout", now, until)
		wantErr(t, "EndUserSessions(nobody)", err, nil)
		if len(ended) != 0 {
			t.Errorf("EndUserSessions(nobody) ended %v", endedIDs(ended))
		}
	}},
}

var revocationTests = []test{
	{"feed returns in-force revocations after an id, in id order", func(t *testing.T, s store.Store) {
		var ids []int64
		for i, until := range []time.Duration{time.Hour, 2 * time.Hour, 30 * time.Minute, 3 * time.Hour} {
			r, err := s.AddRevocation(t.Context(), store.Revocation{
				UserID: id("u1"), NotBefore: at(time.Duration(i) * time.Minute), Until: at(until), CreatedAt: at(0),
			})
			wantErr(t, "AddRevocation", err, nil)
			ids = append(ids, r.ID)
		}
		for _, tc := range []struct {
			now   time.Time
			after int64
			want  []int64
		}{
			{at(0), 0, ids},
			{at(30 * time.Minute), 0, []int64{ids[0], ids[1], ids[3]}}, // Until == now is not in force
			{at(time.Hour), ids[1], []int64{ids[3]}},
			{at(time.Hour), ids[3], nil},
			{at(3 * time.Hour), 0, nil},
		} {
			revs, err := s.Revocations(t.Context(), tc.now, tc.after)
			wantErr(t, "Revocations", err, nil)
			var got []int64
			for _, r := range revs {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Revocations(%s, %d) = %v, want %v", ts(tc.now), tc.after, got, tc.want)
			}
		}
	}},
	{"add revocation round-trips and returns increasing ids", func(t *testing.T, s store.Store) {
		var last int64
		for i := range 3 {
			in := store.Revocation{UserID: id("u1"), NotBefore: at(time.Duration(i) * time.Second),
				Until: at(time.Hour), CreatedAt: at(time.Duration(i) * time.Second)}
			r, err := s.AddRevocation(t.Context(), in)
			wantErr(t, "AddRevocation", err, nil)
			if r.ID <= last {
				t.Errorf("AddRevocation id %d after %d", r.ID, last)
			}
			last, in.ID = r.ID, r.ID
			if g, w := revString(r), revString(in); g != w {
				t.Errorf("AddRevocation:\n got %s\nwant %s", g, w)
			}
			revs, err := s.Revocations(t.Context(), at(0), r.ID-1)
			wantErr(t, "Revocations", err, nil)
			if len(revs) != 1 || revString(revs[0]) != revString(in) {
				t.Errorf("Revocations = %+v, want [%s]", revs, revString(in))
			}
		}
	}},
	{"ids strictly increase across every revocation write, even after sweep", func(t *testing.T, s store.Store) {
		var got []int64
		add := func(r store.Revocation) { got = append(got, r.ID) }
		r, err := s.AddRevocation(t.Context(), store.Revocation{UserID: id("u1"), NotBefore: at(0), Until: at(time.Minute), CreatedAt: at(0)})
		wantErr(t, "AddRevocation", err, nil)
		add(r)
		twoUsers(t, s)
		ended, err := s.EndSessions(t.Context(), id("u1"), []string{id("a1")}, "logout", at(0), at(time.Minute))
		wantErr(t, "EndSessions", err, nil)
		add(ended[0].Revocation)
		mustRotate(t, s, "a2/1", "a2/2", at(2*time.Minute))
		res, err := s.RotateRefresh(t.Context(), rotateIn("u1", "a2/1", "a2/2", at(3*time.Minute)))
		wantErr(t, "RotateRefresh(reuse)", err, store.ErrReused)
		add(res.Ended.Revocation)
		in := limited(newSession("a4", "u1", "dev-a3", at(4*time.Minute)), "a4/1", 1, store.EvictOldest)
		in.ReplaceDevice = true
		ended, err = s.CreateSession(t.Context(), in)
		wantErr(t, "CreateSession", err, nil)
		for _, e := range ended {
			add(e.Revocation)
		}
		ended, err = s.EndUserSessions(t.Context(), id("u2"), "", "logout", at(0), at(time.Minute))
		wantErr(t, "EndUserSessions", err, nil)
		add(ended[0].Revocation)
		// Sweep everything, then write once more: the id must not go back.
		if _, err := s.Sweep(t.Context(), at(time.Hour), 0); err != nil {
			t.Fatal(err)
		}
		r, err = s.AddRevocation(t.Context(), store.Revocation{UserID: id("u1"), NotBefore: at(0), Until: at(2 * time.Hour), CreatedAt: at(time.Hour)})
		wantErr(t, "AddRevocation", err, nil)
		add(r)
		if len(got) != 6 {
			t.Fatalf("got %d revocations, want 6", len(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("revocation ids not strictly increasing: %v", got)
			}
		}
	}},
}
