package audit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
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

// blockingEvents holds AddEvents until release is closed, reporting on
// entered when a write has started.
type blockingEvents struct {
	fakeEvents
	entered chan struct{}
	release chan struct{}
}

func (b *blockingEvents) AddEvents(ctx context.Context, es []store.Event) error {
	b.entered <- struct{}{}
	<-b.release
	return b.fakeEvents.AddEvents(ctx, es)
}

// TestQueuedShowsAUsersUnwrittenEvents: readers of the trail see events not
// yet in the store, including the batch being written, without writing.
func TestQueuedShowsAUsersUnwrittenEvents(t *testing.T) {
	t.Parallel()
	st := &blockingEvents{entered: make(chan struct{}, 1), release: make(chan struct{})}
	r := New(st, quiet(), 10)
	r.Record(store.Event{ID: "1", UserID: "u", Detail: map[string]string{"k": "v"}})
	r.Record(store.Event{ID: "2", UserID: "other"})
	got := r.Queued("u")
	if len(got) != 1 || got[0].ID != "1" {
		t.Fatalf("Queued = %v", got)
	}
	got[0].Detail["k"] = "changed"
	if r.Queued("u")[0].Detail["k"] != "v" {
		t.Fatal("Queued returned the queue's own Detail map")
	}

	flushed := make(chan error)
	go func() { flushed <- r.Flush(context.Background()) }()
	<-st.entered // the batch is being written: no longer pending, not yet stored
	r.Record(store.Event{ID: "3", UserID: "u"})
	if ids := idsOf(r.Queued("u")); ids != "1 3" {
		t.Fatalf("Queued during a write = %s, want 1 3", ids)
	}
	close(st.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(r.Queued("u")); ids != "3" {
		t.Fatalf("Queued after the write = %s, want 3", ids)
	}
	if len(st.batches) != 1 {
		t.Fatalf("Queued wrote: %d batches", len(st.batches))
	}
}

func idsOf(es []store.Event) string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, " ")
}
