package audit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// fakeEvents stands in for the store only to inject a failure; the real
// store's event operations are covered by the conformance suite.
type fakeEvents struct {
	mu      sync.Mutex
	fail    bool
	batches [][]store.Event
}

func (f *fakeEvents) AddEvents(_ context.Context, es []store.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("store down")
	}
	f.batches = append(f.batches, append([]store.Event(nil), es...))
	return nil
}
func (f *fakeEvents) UserEvents(context.Context, string, string, int) ([]store.Event, error) {
	return nil, nil
}
func (f *fakeEvents) PruneEvents(context.Context, time.Time) (int, error) { return 0, nil }

type sink struct{ got []string }

func (s *sink) Send(e store.Event) { s.got = append(s.got, e.ID) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestFlushWritesOneBatchInOrder(t *testing.T) {
	t.Parallel()
	st, sk := &fakeEvents{}, &sink{}
	r := New(st, quiet(), 10, sk)
	for _, id := range []string{"a", "b", "c"} {
		r.Record(store.Event{ID: id, Type: "session.created"})
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.batches) != 1 || len(st.batches[0]) != 3 || st.batches[0][2].ID != "c" || r.Pending() != 0 {
		t.Fatalf("batches %v", st.batches)
	}
	if len(sk.got) != 3 {
		t.Fatalf("sink got %v", sk.got)
	}
}

func TestFailedBatchIsKeptAndQueueIsBounded(t *testing.T) {
	t.Parallel()
	st := &fakeEvents{fail: true}
	r := New(st, quiet(), 3)
	for _, id := range []string{"a", "b", "c", "d"} {
		r.Record(store.Event{ID: id})
	}
	if r.Dropped() != 1 || r.Pending() != 3 {
		t.Fatalf("dropped %d pending %d", r.Dropped(), r.Pending())
	}
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("flush to a failing store succeeded")
	}
	if r.Pending() != 3 {
		t.Fatalf("failed batch not kept: %d pending", r.Pending())
	}
	st.fail = false
	if err := r.Flush(context.Background()); err != nil || len(st.batches[0]) != 3 || st.batches[0][0].ID != "a" {
		t.Fatalf("retry: %v %v", err, st.batches)
	}
}

func TestRunFlushesInBackgroundAndAtShutdown(t *testing.T) {
	t.Parallel()
	st := &fakeEvents{}
	r := New(st, quiet(), 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx, time.Millisecond); close(done) }()
	r.Record(store.Event{ID: "x"})
	deadline := time.After(5 * time.Second)
	for r.Pending() != 0 {
		select {
		case <-deadline:
			t.Fatal("background loop never wrote")
		case <-time.After(time.Millisecond):
		}
	}
	r.Record(store.Event{ID: "y"})
	cancel()
	<-done
	if r.Pending() != 0 {
		t.Fatal("shutdown did not flush")
	}
}
