package revoke

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

func sessionRev(i int) store.Revocation {
	return store.Revocation{SessionID: fmt.Sprintf("s%d", i), Until: t0.Add(time.Hour)}
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestSubscriberGetsLogOrderExactlyOnce(t *testing.T) {
	t.Parallel()
	src := &logSource{}
	s := New()
	src.append(sessionRev(0)) // before the subscription: not delivered
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	sub := s.Subscribe(16)
	defer sub.Close()
	if sub.Start() != 1 {
		t.Fatalf("Start = %d, want 1", sub.Start())
	}
	// A remote write (id 2) and a local one (id 3, added locally first):
	// the subscriber sees both from the log, in id order, once each, even
	// across repeated syncs.
	src.append(sessionRev(1))
	s.Add(src.append(sessionRev(2)))
	if got := drain(sub); len(got) != 0 {
		t.Fatalf("a local add reached the subscriber before the log: %v", got)
	}
	for range 3 {
		if err := s.Sync(t.Context(), src, t0); err != nil {
			t.Fatal(err)
		}
	}
	src.append(sessionRev(3))
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	if got := drain(sub); !slices.Equal(got, seq(2, 4)) {
		t.Fatalf("subscriber got %v, want %v", got, seq(2, 4))
	}
	if sub.Err() != nil {
		t.Fatalf("Err = %v", sub.Err())
	}
}

func TestOverflowEndsTheSubscriptionAndResumeGetsEverything(t *testing.T) {
	t.Parallel()
	src := &logSource{}
	s := New()
	sub := s.Subscribe(2)
	for i := range 5 {
		src.append(sessionRev(i))
	}
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	got := drain(sub) // the buffered events stay readable after the close
	if !slices.Equal(got, seq(1, 2)) {
		t.Fatalf("buffered %v, want [1 2]", got)
	}
	if _, open := <-sub.C(); open {
		t.Fatal("channel of a lagged subscription still open")
	}
	if !errors.Is(sub.Err(), ErrLagged) {
		t.Fatalf("Err = %v, want ErrLagged", sub.Err())
	}
	s.mu.RLock()
	n := len(s.subs)
	s.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d subscriptions still registered", n)
	}
	// More is written while the subscriber is away.
	for i := 5; i < 7; i++ {
		src.append(sessionRev(i))
	}
	backlog, sub2, err := s.Resume(t.Context(), src, t0, got[len(got)-1], 16)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	for i := 7; i < 9; i++ {
		src.append(sessionRev(i))
	}
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	for _, r := range backlog {
		got = append(got, r.ID)
	}
	got = append(got, drain(sub2)...)
	if !slices.Equal(got, seq(1, 9)) {
		t.Fatalf("after resume: %v, want %v", got, seq(1, 9))
	}
}

func TestCloseEndsTheSubscription(t *testing.T) {
	t.Parallel()
	src := &logSource{}
	s := New()
	sub := s.Subscribe(4)
	sub.Close()
	sub.Close()
	src.append(sessionRev(0))
	if err := s.Sync(t.Context(), src, t0); err != nil {
		t.Fatal(err)
	}
	if _, open := <-sub.C(); open || !errors.Is(sub.Err(), ErrClosed) {
		t.Fatalf("closed subscription: open=%v Err=%v", open, sub.Err())
	}
}

// TestRace runs local adds, syncs, prunes, subscribers that resume when
// they lag, and readers at once (go test -race). Every subscriber must end
// with the whole log, in order, exactly once.
func TestRace(t *testing.T) {
	t.Parallel()
	const writers, perWriter, readers = 4, 200, 3
	src := &logSource{}
	s := New()
	var wg, subsDone, subscribed sync.WaitGroup
	stop := make(chan struct{})
	subscribed.Add(readers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subscribed.Wait() // so the stalling reader's first events come live
			for i := range perWriter {
				r := src.append(sessionRev(w*perWriter + i))
				if i%2 == 0 {
					s.Add(r) // written here; odd ones come from "elsewhere"
				}
			}
		}()
	}
	syncer := func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Sync(t.Context(), src, t0); err != nil {
				t.Error(err)
				return
			}
			s.Prune(t0)
			s.Revoked("s1", "u", t0)
		}
	}
	var syncers sync.WaitGroup
	for range 2 {
		syncers.Add(1)
		go func() { defer syncers.Done(); syncer() }()
	}
	results := make([][]int64, readers)
	lags := make([]int, readers)
	for i := range readers {
		subsDone.Add(1)
		go func() {
			defer subsDone.Done()
			// Reader 0 stalls after each subscription's first event until
			// the log has moved past its buffer, so it lags for certain.
			results[i], lags[i] = follow(t, s, src, writers*perWriter, 1+i*3, i == 0, subscribed.Done)
		}()
	}
	wg.Wait()
	subsDone.Wait()
	close(stop)
	syncers.Wait()
	for i, got := range results {
		if !slices.Equal(got, seq(1, writers*perWriter)) {
			t.Errorf("subscriber %d: %d events, first gap or duplicate near %v", i, len(got), firstBad(got))
		}
	}
	if lags[0] == 0 {
		t.Error("the stalling subscriber never lagged: the overflow path was not exercised")
	}
	if s.Len() != writers*perWriter {
		t.Errorf("Len = %d", s.Len())
	}
}

// follow subscribes from the start with a small buffer, resumes whenever it
// lags, and returns every id it saw once it has seen want events, and how
// often it lagged. A stalling follower stops reading after the first event
// of each subscription until the cursor is past what its buffer can hold.
// subscribed is called once, after the first subscription.
func follow(t *testing.T, s *Set, src Source, want, buffer int, stall bool, subscribed func()) ([]int64, int) {
	var got []int64
	var last int64
	lags := 0
	for len(got) < want {
		backlog, sub, err := s.Resume(t.Context(), src, t0, last, buffer)
		if subscribed != nil {
			subscribed()
			subscribed = nil
		}
		if err != nil {
			t.Error(err)
			return got, lags
		}
		for _, r := range backlog {
			got, last = append(got, r.ID), r.ID
		}
		first := true
		for len(got) < want {
			r, ok := <-sub.C()
			if !ok {
				break // lagged: resume after last
			}
			got, last = append(got, r.ID), r.ID
			for stall && first && s.Cursor() <= r.ID+int64(buffer) && s.Cursor() < int64(want) {
				runtime.Gosched()
			}
			first = false
		}
		if errors.Is(sub.Err(), ErrLagged) {
			lags++
		}
		sub.Close()
	}
	return got, lags
}

func firstBad(ids []int64) []int64 {
	for i, id := range ids {
		if id != int64(i+1) {
			return ids[max(0, i-2):min(len(ids), i+3)]
		}
	}
	return nil
}
