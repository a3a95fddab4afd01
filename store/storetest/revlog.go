package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// revocationLogTests check the log contract of Sessions.Revocations that
// every node's revocation set relies on: a reader that follows a cursor
// (the last id it read) while writers commit concurrently sees every
// revocation exactly once, in id order, and skips none.
var revocationLogTests = []test{
	{"a reader following the cursor during concurrent writes sees every id once, in order", func(t *testing.T, s store.Store) {
		const writers, perWriter = 8, 24
		var (
			mu      sync.Mutex
			written []int64
			errs    []error
			done    atomic.Bool
		)
		note := func(err error, rs ...store.Revocation) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, r := range rs {
				written = append(written, r.ID)
			}
		}
		var seen []int64
		var cursor int64
		read := func() {
			revs, err := s.Revocations(t.Context(), at(0), cursor)
			if err != nil {
				t.Errorf("Revocations(%d): %v", cursor, err)
				return
			}
			for _, r := range revs {
				if r.ID <= cursor {
					t.Errorf("Revocations(%d) returned id %d out of order", cursor, r.ID)
				}
				seen, cursor = append(seen, r.ID), r.ID
			}
		}
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			for !done.Load() {
				read()
			}
		}()
		for w := range writers {
			mustUser(t, s, fmt.Sprintf("log-u%d", w), fmt.Sprintf("log-user-%d", w), at(0))
		}
		parallel(writers, func(w int) {
			user := fmt.Sprintf("log-u%d", w)
			for i := range perWriter {
				if i%3 != 2 {
					r, err := s.AddRevocation(t.Context(), store.Revocation{
						UserID: id(user), NotBefore: at(time.Duration(i) * time.Second), Until: at(time.Hour), CreatedAt: at(0),
					})
					note(err, r)
					continue
				}
				// Every third write ends two sessions in one operation.
				for k := range 2 {
					name := fmt.Sprintf("log-s%d-%d-%d", w, i, k)
					_, err := s.CreateSession(t.Context(), createIn(newSession(name, user, "dev-"+name, at(0)), name+"/1"))
					note(err)
				}
				ended, err := s.EndUserSessions(t.Context(), id(user), "", "logout", at(0), at(time.Hour))
				for _, e := range ended {
					note(nil, e.Revocation)
				}
				note(err)
			}
		})
		done.Store(true)
		<-readerDone
		read() // everything has committed: the last read catches up
		if len(errs) > 0 {
			t.Fatalf("writes failed: %v", errs[0])
		}
		slices.Sort(written)
		if !slices.Equal(seen, written) {
			t.Fatalf("the reader saw %d ids, the writers wrote %d; missing %v, unexpected %v",
				len(seen), len(written), minus(written, seen), minus(seen, written))
		}
	}},
}

// minus returns the ids of a not in b (at most 10).
func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) && len(out) < 10 {
			out = append(out, x)
		}
	}
	return out
}
