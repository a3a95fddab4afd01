package revoke

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var (
	// ErrLagged ends a subscription whose buffer was full when Sync had an
	// event for it: rather than drop that event silently, the subscription
	// is closed and the subscriber resyncs from the store after the last id
	// it received (Resume).
	ErrLagged = errors.New("revoke: subscriber fell behind; resync from the store")
	// ErrClosed ends a subscription its owner closed.
	ErrClosed = errors.New("revoke: subscription closed")
)

// Subscription receives the revocations Sync reads from the log after the
// subscription started (ids greater than Start), in id order, each once,
// wherever they were written. Like Sync it sees only revocations still in
// force, so ids may skip. When its channel is closed, Err says why.
type Subscription struct {
	set   *Set
	c     chan store.Revocation
	start int64

	mu     sync.Mutex // guards closed, err and sends on c against close
	closed bool
	err    error
}

// Subscribe starts a subscription with room for buffer undelivered events
// (at least 1). A subscriber that lets the buffer fill is ended with
// ErrLagged, never silently skipped.
func (s *Set) Subscribe(buffer int) *Subscription {
	sub := &Subscription{set: s, c: make(chan store.Revocation, max(buffer, 1))}
	s.mu.Lock()
	sub.start = s.cursor
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

// C is the event channel; it is closed when the subscription ends. Events
// already buffered can still be read after that.
func (sub *Subscription) C() <-chan store.Revocation { return sub.c }

// Start is the cursor when the subscription began: C carries exactly the
// revocations with a greater id.
func (sub *Subscription) Start() int64 { return sub.start }

// Err is nil while the subscription runs, ErrLagged if it fell behind, and
// ErrClosed after Close.
func (sub *Subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Close ends the subscription. It is idempotent.
func (sub *Subscription) Close() {
	sub.end(ErrClosed)
}

func (sub *Subscription) end(err error) {
	sub.mu.Lock()
	if !sub.closed {
		sub.closed, sub.err = true, err
		close(sub.c)
	}
	sub.mu.Unlock()
	sub.set.mu.Lock()
	delete(sub.set.subs, sub)
	sub.set.mu.Unlock()
}

// deliver hands rs to the subscriber without ever blocking Sync. The first
// event that does not fit ends the subscription with ErrLagged.
func (sub *Subscription) deliver(rs []store.Revocation) {
	sub.mu.Lock()
	for _, r := range rs {
		if sub.closed {
			break
		}
		if r.ID <= sub.start {
			continue
		}
		select {
		case sub.c <- r:
		default:
			sub.closed, sub.err = true, ErrLagged
			close(sub.c)
		}
	}
	lagged := sub.closed && sub.err == ErrLagged
	sub.mu.Unlock()
	if lagged {
		sub.end(ErrLagged) // unregisters; the channel is already closed
	}
}

// Resume is how a subscriber (re)joins after the last id it received
// (0: from the beginning): it subscribes first, then reads from src the
// revocations in force at now with ids in (afterID, Start], so backlog
// followed by the subscription's events is the log after afterID with
// nothing missing and nothing twice. On error nothing stays subscribed.
func (s *Set) Resume(ctx context.Context, src Source, now time.Time, afterID int64, buffer int) ([]store.Revocation, *Subscription, error) {
	sub := s.Subscribe(buffer)
	rs, err := src.Revocations(ctx, now, afterID)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	backlog := rs[:0]
	for _, r := range rs {
		if r.ID <= sub.start {
			backlog = append(backlog, r)
		}
	}
	return backlog, sub, nil
}
