package storetest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/google/uuid"
)

// eventID is a UUIDv7 for millisecond ms after base with sequence seq, so
// that ids sort as (ms, seq) do.
func eventID(ms int64, seq uint16) string {
	var u uuid.UUID
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(base.UnixMilli()+ms))
	copy(u[:6], ts[2:])
	u[6], u[7] = 0x70|byte(seq>>8&0x0f), byte(seq)
	u[8] = 0x80
	return u.String()
}

// newEvent is an event of user created ms milliseconds after base, with id
// eventID(ms, 0).
func newEvent(user string, ms int64) store.Event {
	return store.Event{
		ID: eventID(ms, 0), UserID: id(user), SessionID: id("s-" + user), Type: "session.created",
		Detail: map[string]string{"n": fmt.Sprint(ms)}, IP: "192.0.2.7",
		UserAgent: "storetest/1.0", CreatedAt: at(time.Duration(ms) * time.Millisecond),
	}
}

func eventString(e store.Event) string {
	d := e.Detail
	if len(d) == 0 {
		d = nil // nil and empty are the same (see Run)
	}
	return fmt.Sprintf("{id=%s user=%s session=%s type=%q detail=%q ip=%q ua=%q created=%s}",
		e.ID, e.UserID, e.SessionID, e.Type, d, e.IP, e.UserAgent, ts(e.CreatedAt))
}

func mustAddEvents(t *testing.T, s store.Store, es ...store.Event) {
	t.Helper()
	if err := s.AddEvents(t.Context(), es); err != nil {
		t.Fatalf("AddEvents(%d events): %v", len(es), err)
	}
}

// userEventIDs lists userID's events through UserEvents.
func userEventIDs(t *testing.T, s store.Store, user, before string, limit int) []string {
	t.Helper()
	es, err := s.UserEvents(t.Context(), id(user), before, limit)
	wantErr(t, "UserEvents", err, nil)
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// newestFirst lists the ids of es (oldest first) newest first.
func newestFirst(es []store.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.ID
	}
	return out
}

var eventTests = []test{
	{"add and list round-trip every field", func(t *testing.T, s store.Store) {
		full := newEvent("u1", 1)
		full.Type, full.Detail = "session.revoked", map[string]string{
			"reason": "logout", "by": "admin", "empty": "", "odd": "é\x00\"{}\n",
		}
		bare := store.Event{ID: eventID(2, 0), UserID: id("u1"), Type: "login.failed", CreatedAt: at(2 * time.Millisecond)}
		empty := newEvent("u1", 3)
		empty.Detail = map[string]string{}
		want := []store.Event{full, bare, empty}
		mustAddEvents(t, s, want...)
		got, err := s.UserEvents(t.Context(), id("u1"), "", 0)
		wantErr(t, "UserEvents", err, nil)
		if len(got) != len(want) {
			t.Fatalf("UserEvents: %d events, want %d", len(got), len(want))
		}
		for i := range got {
			if g, w := eventString(got[i]), eventString(want[len(want)-1-i]); g != w {
				t.Errorf("UserEvents[%d]:\n got %s\nwant %s", i, g, w)
			}
		}
	}},
	{"empty batch is a no-op", func(t *testing.T, s store.Store) {
		wantErr(t, "AddEvents(nil)", s.AddEvents(t.Context(), nil), nil)
		wantErr(t, "AddEvents(empty)", s.AddEvents(t.Context(), []store.Event{}), nil)
		if got := userEventIDs(t, s, "u1", "", 0); len(got) != 0 {
			t.Errorf("UserEvents after empty batches = %v", got)
		}
	}},
	{"user events page newest first with before", func(t *testing.T, s store.Store) {
		var es []store.Event
		for ms := range int64(10) {
			es = append(es, newEvent("u1", ms))
		}
		shuffled := slices.Clone(es)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		mustAddEvents(t, s, shuffled[:4]...) // in several batches, out of order
		mustAddEvents(t, s, shuffled[4:]...)
		want := newestFirst(es)
		var got []string
		before := ""
		for range 10 {
			page := userEventIDs(t, s, "u1", before, 3)
			if len(page) == 0 {
				break
			}
			if len(page) > 3 {
				t.Fatalf("page of %d events, limit 3", len(page))
			}
			got = append(got, page...)
			before = page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged UserEvents = %v\nwant %v", got, want)
		}
		// before need not be an existing id: between events 5 and 6.
		if got := userEventIDs(t, s, "u1", eventID(5, 1), 2); !slices.Equal(got, want[4:6]) {
			t.Errorf("UserEvents(before between 5 and 6) = %v, want %v", got, want[4:6])
		}
		if got := userEventIDs(t, s, "u1", es[0].ID, 0); len(got) != 0 {
			t.Errorf("UserEvents(before the oldest) = %v, want none", got)
		}
	}},
	{"limit, its default and its cap", func(t *testing.T, s store.Store) {
		var es []store.Event
		for ms := range int64(1001) {
			es = append(es, newEvent("u1", ms))
		}
		mustAddEvents(t, s, es...)
		want := newestFirst(es)
		for _, tc := range []struct{ limit, n int }{{1, 1}, {7, 7}, {0, 100}, {-1, 100}, {1000, 1000}, {5000, 1000}} {
			if got := userEventIDs(t, s, "u1", "", tc.limit); !slices.Equal(got, want[:tc.n]) {
				t.Errorf("UserEvents(limit %d): %d events, want the newest %d", tc.limit, len(got), tc.n)
			}
		}
	}},
	{"users are isolated", func(t *testing.T, s store.Store) {
		var u1, u2 []store.Event
		for ms := range int64(6) {
			e := newEvent("u1", ms)
			if ms%2 == 1 {
				e = newEvent("u2", ms)
				u2 = append(u2, e)
			} else {
				u1 = append(u1, e)
			}
			mustAddEvents(t, s, e)
		}
		if got, want := userEventIDs(t, s, "u1", "", 0), newestFirst(u1); !slices.Equal(got, want) {
			t.Errorf("UserEvents(u1) = %v, want %v", got, want)
		}
		if got, want := userEventIDs(t, s, "u2", "", 0), newestFirst(u2); !slices.Equal(got, want) {
			t.Errorf("UserEvents(u2) = %v, want %v", got, want)
		}
		// before may name another user's event: u2's at 3ms.
		if got, want := userEventIDs(t, s, "u1", u2[1].ID, 0), newestFirst(u1)[1:]; !slices.Equal(got, want) {
			t.Errorf("UserEvents(u1, before u2's event at 3ms) = %v, want %v", got, want)
		}
		if got := userEventIDs(t, s, "nobody", "", 0); len(got) != 0 {
			t.Errorf("UserEvents(nobody) = %v", got)
		}
	}},
	{"prune deletes events created before t", func(t *testing.T, s store.Store) {
		var es []store.Event
		for i, d := range []time.Duration{-2 * time.Minute, -time.Minute, -time.Microsecond, 0, time.Minute} {
			e := newEvent("u"+fmt.Sprint(i%2), int64(i))
			e.CreatedAt = at(d)
			es = append(es, e)
		}
		mustAddEvents(t, s, es...)
		n, err := s.PruneEvents(t.Context(), at(0))
		wantErr(t, "PruneEvents", err, nil)
		if n != 3 {
			t.Errorf("PruneEvents removed %d events, want 3", n)
		}
		got := append(userEventIDs(t, s, "u0", "", 0), userEventIDs(t, s, "u1", "", 0)...)
		slices.Sort(got)
		if want := []string{es[3].ID, es[4].ID}; !slices.Equal(got, want) {
			t.Errorf("events after PruneEvents = %v, want %v (created at and after t)", got, want)
		}
		if n, err := s.PruneEvents(t.Context(), at(0)); err != nil || n != 0 {
			t.Errorf("second PruneEvents = %d, %v; want 0", n, err)
		}
	}},
}
