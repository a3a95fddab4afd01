package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// workers is how many goroutines each race test starts at once.
const workers = 16

// rotateRace presents s1/1 from every worker at once with grace g.
func rotateRace(t *testing.T, s store.Store, g time.Duration) ([]store.RotateResult, []error) {
	t.Helper()
	mustCreate(t, s, newSession("s1", "u1", "d", at(0)), "s1/1")
	res, errs := make([]store.RotateResult, workers), make([]error, workers)
	parallel(workers, func(i int) {
		in := rotateIn("u1", "s1/1", "s1/2", at(time.Minute))
		in.Grace = g
		res[i], errs[i] = s.RotateRefresh(t.Context(), in)
	})
	return res, errs
}

// tally counts outcomes: "rotated", "replayed", or the sentinel's text.
func tally(res []store.RotateResult, errs []error) map[string]int {
	m := map[string]int{}
	for i, err := range errs {
		switch {
		case err == nil && res[i].Outcome == store.Rotated:
			m["rotated"]++
		case err == nil && res[i].Outcome == store.Replayed:
			m["replayed"]++
		case errors.Is(err, store.ErrReused):
			m["reused"]++
		case errors.Is(err, store.ErrNotFound):
			m["not found"]++
		default:
			m[fmt.Sprintf("outcome %v, error %v", res[i].Outcome, err)]++
		}
	}
	return m
}

// raceCreate creates workers-named sessions s0..s<n-1> for u1 at once with
// the limit max and policy o, returning what each call returned.
func raceCreate(t *testing.T, s store.Store, n, max int, o store.Overflow) ([][]store.Ended, []error) {
	t.Helper()
	ended, errs := make([][]store.Ended, n), make([]error, n)
	parallel(n, func(i int) {
		name := fmt.Sprintf("s%d", i)
		in := limited(newSession(name, "u1", "dev-"+name, at(time.Duration(i)*time.Second)), name+"/1", max, o)
		ended[i], errs[i] = s.CreateSession(t.Context(), in)
	})
	return ended, errs
}

var raceTests = []test{
	{"concurrent rotation within grace: one Rotated, the rest Replayed", func(t *testing.T, s store.Store) {
		res, errs := rotateRace(t, s, 10*time.Second)
		if m := tally(res, errs); m["rotated"] != 1 || m["replayed"] != workers-1 {
			t.Fatalf("outcomes %v, want 1 rotated and %d replayed", m, workers-1)
		}
		for _, r := range res {
			if r.Session.ID != id("s1") || r.Session.RefreshGen != 2 || !r.Session.RotatedAt.Equal(at(time.Minute)) {
				t.Errorf("result session %s", sessionString(r.Session))
			}
		}
		if got := mustSession(t, s, "u1", "s1"); got.RefreshGen != 2 {
			t.Errorf("RefreshGen = %d after the race, want 2", got.RefreshGen)
		}
		if got := mustRotate(t, s, "s1/2", "s1/3", at(2*time.Minute)); got.RefreshGen != 3 {
			t.Errorf("rotating the successor: gen %d, want 3", got.RefreshGen)
		}
	}},
	{"concurrent rotation without grace: one Rotated, then reuse ends the session", func(t *testing.T, s store.Store) {
		res, errs := rotateRace(t, s, 0)
		m := tally(res, errs)
		if m["rotated"] != 1 || m["reused"] != 1 || m["not found"] != workers-2 {
			t.Fatalf("outcomes %v, want 1 rotated, 1 reused, the rest not found", m)
		}
		gone(t, s, "u1", "s1", "s1/1", "s1/2")
		revs, err := s.Revocations(t.Context(), at(time.Minute), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 1 || revs[0].SessionID != id("s1") {
			t.Errorf("Revocations = %+v, want one for s1", revs)
		}
	}},
	{"concurrent creates with evict-oldest keep the limit", func(t *testing.T, s store.Store) {
		const n, max = 6, 3
		ended, errs := raceCreate(t, s, n, max, store.EvictOldest)
		var endedIDs []string
		for i := range n {
			wantErr(t, "CreateSession", errs[i], nil)
			for _, e := range ended[i] {
				if e.Revocation.ID <= 0 || e.Revocation.SessionID != e.Session.ID || e.Reason != "evict-oldest" {
					t.Errorf("ended %s without a proper revocation: %+v", e.Session.ID, e)
				}
				endedIDs = append(endedIDs, e.Session.ID)
			}
		}
		live, err := s.UserSessions(t.Context(), id("u1"))
		wantErr(t, "UserSessions", err, nil)
		if len(live) != max || len(endedIDs) != n-max {
			t.Fatalf("%d live, %d ended; want %d and %d", len(live), len(endedIDs), max, n-max)
		}
		revs, err := s.Revocations(t.Context(), at(0), 0)
		wantErr(t, "Revocations", err, nil)
		for _, e := range endedIDs {
			if slices.Contains(sessionIDs(live), e) {
				t.Errorf("session %s both ended and live", e)
			}
			if !slices.ContainsFunc(revs, func(r store.Revocation) bool { return r.SessionID == e }) {
				t.Errorf("no revocation in the feed for ended session %s", e)
			}
		}
	}},
	{"concurrent creates with reject: exactly the limit succeed", func(t *testing.T, s store.Store) {
		const n, max = 6, 3
		_, errs := raceCreate(t, s, n, max, store.Reject)
		var ok []string
		for i, err := range errs {
			name := fmt.Sprintf("s%d", i)
			switch {
			case err == nil:
				ok = append(ok, id(name))
			case errors.Is(err, store.ErrSessionLimit):
				gone(t, s, "u1", name, name+"/1")
			default:
				t.Errorf("CreateSession(%s): %v", name, err)
			}
		}
		live, err := s.UserSessions(t.Context(), id("u1"))
		wantErr(t, "UserSessions", err, nil)
		slices.Sort(ok)
		got := sessionIDs(live)
		slices.Sort(got)
		if len(ok) != max || !slices.Equal(got, ok) {
			t.Errorf("%d succeeded (%v), live %v; want %d", len(ok), ok, got, max)
		}
	}},
	{"concurrent ends and creates leave no half-written sessions", func(t *testing.T, s store.Store) {
		created, ends := make([]error, workers), make([][]store.Ended, workers)
		parallel(workers, func(i int) {
			name := fmt.Sprintf("s%d", i)
			if i%2 == 0 {
				created[i] = createErr(t, s, newSession(name, "u1", name, at(time.Duration(i)*time.Second)), name+"/1")
				return
			}
			var err error
			ends[i], err = s.EndUserSessions(t.Context(), id("u1"), "", "logout", at(time.Minute), at(time.Hour))
			created[i] = err
		})
		ended := map[string]bool{}
		for i, err := range created {
			wantErr(t, fmt.Sprintf("worker %d", i), err, nil)
			for _, e := range ends[i] {
				if e.Revocation.ID <= 0 || e.Revocation.SessionID != e.Session.ID {
					t.Errorf("ended %s without its revocation: %+v", e.Session.ID, e.Revocation)
				}
				ended[e.Session.ID] = true
			}
		}
		for i := 0; i < workers; i += 2 {
			name := fmt.Sprintf("s%d", i)
			_, err := s.Session(t.Context(), id("u1"), id(name))
			res, rerr := s.RotateRefresh(t.Context(), rotateIn("u1", name+"/1", name+"/2", at(2*time.Minute)))
			switch {
			case ended[id(name)]:
				wantErr(t, "Session(ended)", err, store.ErrNotFound)
				wantErr(t, "RotateRefresh(ended)", rerr, store.ErrNotFound)
			case err != nil || rerr != nil || res.Outcome != store.Rotated:
				t.Errorf("live session %s: Session %v, RotateRefresh %v %v", name, err, res.Outcome, rerr)
			}
		}
		live, _ := s.UserSessions(t.Context(), id("u1"))
		if c, _ := s.CountSessions(t.Context()); c != len(live) || len(live)+len(ended) != workers/2 {
			t.Errorf("count %d, live %d, ended %d; want live+ended = %d", c, len(live), len(ended), workers/2)
		}
	}},
	{"concurrent creates ending the same session: exactly one succeeds", func(t *testing.T, s store.Store) {
		a := newSession("a", "u1", "dev-a", at(0))
		mustCreate(t, s, a, "a/1")
		mustCreate(t, s, newSession("b", "u1", "dev-b", at(time.Minute)), "b/1")
		ended, errs := make([][]store.Ended, workers), make([]error, workers)
		parallel(workers, func(i int) {
			name := fmt.Sprintf("w%d", i)
			in := limited(newSession(name, "u1", "dev-"+name, at(time.Hour+time.Duration(i)*time.Second)), name+"/1", 2, store.Reject)
			in.End = []string{a.ID}
			ended[i], errs[i] = s.CreateSession(t.Context(), in)
		})
		var winners []string
		for i, err := range errs {
			name := fmt.Sprintf("w%d", i)
			switch {
			case err == nil:
				winners = append(winners, id(name))
				if len(ended[i]) != 1 || ended[i][0].Session.ID != a.ID || ended[i][0].Reason != "resolved" ||
					ended[i][0].Revocation.ID <= 0 {
					t.Errorf("winner %s ended %+v, want a, resolved, with its revocation", name, ended[i])
				}
			case errors.Is(err, store.ErrSessionLimit):
				if len(ended[i]) != 0 {
					t.Errorf("rejected %s ended %v", name, endedIDs(ended[i]))
				}
				gone(t, s, "u1", name, name+"/1")
			default:
				t.Errorf("CreateSession(%s): %v", name, err)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("%d creates succeeded (%v), want exactly 1", len(winners), winners)
		}
		live, err := s.UserSessions(t.Context(), id("u1"))
		wantErr(t, "UserSessions", err, nil)
		got := sessionIDs(live)
		slices.Sort(got)
		want := []string{id("b"), winners[0]}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("live sessions %v, want b and the winner %v", got, want)
		}
		gone(t, s, "u1", "a", "a/1")
		revs, err := s.Revocations(t.Context(), at(0), 0)
		wantErr(t, "Revocations", err, nil)
		if len(revs) != 1 || revs[0].SessionID != a.ID {
			t.Errorf("Revocations = %+v, want one for a", revs)
		}
	}},
	{"concurrent consumes: exactly one gets the challenge", func(t *testing.T, s store.Store) {
		// Warm up (connections, prepared statements) so that the workers
		// really overlap, then race over several challenges.
		mustAddChallenge(t, s, newChallenge("warm-up", at(5*time.Minute)))
		_, err := s.ConsumeChallenge(t.Context(), id("u1"), hash("challenge:warm-up"), at(time.Minute))
		wantErr(t, "ConsumeChallenge(warm-up)", err, nil)
		for round := range 8 {
			c := newChallenge(fmt.Sprint("c", round), at(5*time.Minute))
			mustAddChallenge(t, s, c)
			got, errs := make([]store.Challenge, workers), make([]error, workers)
			parallel(workers, func(i int) {
				got[i], errs[i] = s.ConsumeChallenge(t.Context(), id("u1"), c.Hash, at(time.Minute))
			})
			n := 0
			for i, err := range errs {
				switch {
				case err == nil:
					n++
					if g, w := challengeString(got[i]), challengeString(c); g != w {
						t.Errorf("round %d, worker %d got\n %s\nwant %s", round, i, g, w)
					}
				case !errors.Is(err, store.ErrNotFound):
					t.Errorf("round %d, worker %d: %v, want ErrNotFound", round, i, err)
				}
			}
			if n != 1 {
				t.Fatalf("round %d: %d of %d concurrent consumes got the challenge, want 1", round, n, workers)
			}
		}
	}},
	{"concurrent first secret calls agree", func(t *testing.T, s store.Store) {
		vals, errs := make([][]byte, workers), make([]error, workers)
		parallel(workers, func(i int) {
			vals[i], errs[i] = s.Secret(t.Context(), "signing", func() ([]byte, error) {
				return fmt.Appendf(nil, "value-%d", i), nil
			})
		})
		for i := range workers {
			wantErr(t, "Secret", errs[i], nil)
			if !sameBytes(vals[i], vals[0]) || len(vals[i]) == 0 {
				t.Errorf("worker %d got %q, worker 0 got %q", i, vals[i], vals[0])
			}
		}
		later, err := s.Secret(t.Context(), "signing", func() ([]byte, error) { return []byte("late"), nil })
		if err != nil || !sameBytes(later, vals[0]) {
			t.Errorf("later Secret = %q, %v; want %q", later, err, vals[0])
		}
	}},
	{"concurrent takes never exceed the burst", func(t *testing.T, s store.Store) {
		oks, errs := make([]bool, workers), make([]error, workers)
		parallel(workers, func(i int) {
			oks[i], _, errs[i] = s.Take(t.Context(), []store.Bucket{{Key: "login:alice", Rate: 1, Burst: 5}}, at(0))
		})
		n := 0
		for i := range workers {
			wantErr(t, "Take", errs[i], nil)
			if oks[i] {
				n++
			}
		}
		if n != 5 {
			t.Errorf("%d of %d concurrent takes allowed, want the burst of 5", n, workers)
		}
	}},
}

// createErr is mustCreate for goroutines: it returns the error.
func createErr(t *testing.T, s store.Store, sess store.Session, token string) error {
	_, err := s.CreateSession(t.Context(), createIn(sess, token))
	return err
}
