package audit

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Sink receives every event after it is queued (a webhook sender).
type Sink interface{ Send(store.Event) }

// Recorder queues events and writes them to the store in batches.
type Recorder struct {
	st      store.Events
	log     *slog.Logger
	sinks   []Sink
	mu      sync.Mutex
	pending []store.Event
	writing []store.Event // the batch Flush is writing now, still visible to Queued
	wake    chan struct{}
	writeMu sync.Mutex // one batch write at a time, in order
	dropped atomic.Uint64
	max     int
}

// New returns a recorder writing to st. max bounds the queue: past it, new
// events are dropped (and counted) rather than growing memory while the
// store is down.
func New(st store.Events, log *slog.Logger, max int, sinks ...Sink) *Recorder {
	if max <= 0 {
		max = 10000
	}
	return &Recorder{st: st, log: log, sinks: sinks, wake: make(chan struct{}, 1), max: max}
}

// Record logs e and queues it; it never blocks on I/O.
func (r *Recorder) Record(e store.Event) {
	attrs := []any{"event", e.Type, "event_id", e.ID, "user_id", e.UserID}
	if e.SessionID != "" {
		attrs = append(attrs, "session_id", e.SessionID)
	}
	for k, v := range e.Detail {
		attrs = append(attrs, k, v)
	}
	r.log.Info("audit", attrs...)
	r.mu.Lock()
	if len(r.pending) >= r.max {
		r.mu.Unlock()
		r.dropped.Add(1)
		return
	}
	r.pending = append(r.pending, e)
	r.mu.Unlock()
	for _, s := range r.sinks {
		s.Send(e)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Dropped counts events not stored because the queue was full.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Pending is how many events wait to be written.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Queued returns copies of userID's events not yet in the store (waiting, or
// in the batch being written), in the order they were recorded. Readers of
// the trail merge them with the stored page so a user sees their own latest
// events without the read forcing a write. An event may be both here and
// already in the store for a moment at the end of a batch write: readers
// deduplicate by ID.
func (r *Recorder) Queued(userID string) []store.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.Event
	for _, q := range [][]store.Event{r.writing, r.pending} {
		for _, e := range q {
			if e.UserID == userID {
				e.Detail = maps.Clone(e.Detail)
				out = append(out, e)
			}
		}
	}
	return out
}

// Flush writes every queued event now: at shutdown, and from Run.
func (r *Recorder) Flush(ctx context.Context) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.writing = batch
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := r.st.AddEvents(ctx, batch); err != nil {
		r.requeue(batch)
		return err
	}
	r.mu.Lock()
	r.writing = nil
	r.mu.Unlock()
	return nil
}

// requeue puts a failed batch back in front, within the bound.
func (r *Recorder) requeue(batch []store.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writing = nil
	room := r.max - len(r.pending)
	if room < len(batch) {
		r.dropped.Add(uint64(len(batch) - room))
		batch = batch[len(batch)-max(room, 0):]
	}
	r.pending = append(batch, r.pending...)
}

// Run writes batches until ctx ends (then flushes once more), at most every
// interval so bursts coalesce into one transaction.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.Flush(fctx); err != nil {
				r.log.Warn("audit flush at shutdown failed", "err", err, "pending", r.Pending())
			}
			cancel()
			return
		case <-t.C:
		}
		select {
		case <-r.wake:
		case <-ctx.Done():
			continue
		}
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("audit write failed; will retry", "err", err, "pending", r.Pending())
		}
	}
}
