package verifier

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Reconnection: exponential backoff with full jitter between these bounds;
// a connection silent for feedSilence (three missed 15 s heartbeats) is
// presumed dead and replaced.
const (
	backoffMin  = 100 * time.Millisecond
	backoffMax  = 10 * time.Second
	feedSilence = 45 * time.Second
	pruneEvery  = time.Minute
)

// follower keeps the revocation set current from Gatehouse's SSE feed,
// resuming after the last event id it applied (Last-Event-ID), so a
// revocation made while it was disconnected arrives when it reconnects.
type follower struct {
	v           *Verifier
	url, bearer string
	firstLive   chan struct{} // closed at the first end of replay
	refused     chan struct{} // closed when the feed refuses the token (401/403)

	mu     sync.Mutex
	lastID string
	// down is when the feed stopped being current, in Unix nanoseconds on
	// the injected clock; 0 while current. Atomic: Verify reads it on
	// every call.
	down     atomic.Int64
	err      error
	live     bool
	lastPrne time.Time
}

func newFollower(v *Verifier, url, bearer string) *follower {
	f := &follower{v: v, url: url, bearer: bearer, firstLive: make(chan struct{}), refused: make(chan struct{})}
	f.down.Store(v.o.Now().UnixNano())
	return f
}

// downSince is when the feed stopped being current; zero while it is.
func (f *follower) downSince() time.Time {
	ns := f.down.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (f *follower) lastError() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		return errors.New("no answer yet")
	}
	return f.err
}

// run connects, follows, and reconnects with backoff until ctx ends.
func (f *follower) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		live, err := f.follow(ctx)
		f.disconnected(err)
		if ctx.Err() != nil {
			return
		}
		if live {
			attempt = 0 // it worked for a while: start the backoff afresh
		}
		f.v.Stale() // reports staleness (OnStale) even without traffic
		d := min(backoffMax, backoffMin<<min(attempt, 10))
		attempt++
		t := time.NewTimer(rand.N(d) + backoffMin/2)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (f *follower) disconnected(err error) {
	f.mu.Lock()
	if f.live {
		f.down.Store(f.v.o.Now().UnixNano())
	}
	f.live = false
	if err != nil && !errors.Is(err, context.Canceled) {
		f.err = err
	}
	f.mu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		f.v.o.Logger.Warn("verifier: revocation feed disconnected; reconnecting", "err", err)
	}
}

// follow runs one connection; live says whether it reached the end of the
// replay.
func (f *follower) follow(ctx context.Context) (live bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+f.bearer)
	f.mu.Lock()
	if f.lastID != "" {
		req.Header.Set("Last-Event-ID", f.lastID)
	}
	f.mu.Unlock()
	res, err := f.v.o.HTTPClient.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		err := fmt.Errorf("GET %s: %s", f.url, res.Status)
		if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
			closeOnce(f.refused)
		}
		return false, err
	}
	// A watchdog: no line for feedSilence ends the connection.
	watchdog := time.AfterFunc(feedSilence, cancel)
	defer watchdog.Stop()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 4096), 64<<10)
	var id, data string
	for sc.Scan() {
		watchdog.Reset(feedSilence)
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				if err := f.apply(id, data); err != nil {
					return live, err
				}
			}
			id, data = "", ""
		case strings.HasPrefix(line, ":"):
			if strings.TrimSpace(line[1:]) == "live" && !live {
				live = true
				f.becameLive()
			}
			f.maybePrune()
		default:
			name, val, _ := strings.Cut(line, ":")
			val = strings.TrimPrefix(val, " ")
			switch name {
			case "id":
				id = val
			case "data":
				data += val
			}
		}
	}
	if err := sc.Err(); err != nil {
		return live, err
	}
	return live, errors.New("the feed closed the stream")
}

type feedEvent struct {
	SID       string    `json:"sid"`
	Sub       string    `json:"sub"`
	NotBefore time.Time `json:"not_before"`
	Until     time.Time `json:"until"`
}

// apply adds one event to the set and remembers its id for resumption.
func (f *follower) apply(id, data string) error {
	var e feedEvent
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return fmt.Errorf("feed event %s: %w", id, err)
	}
	f.v.revs.add(e.SID, e.Sub, e.NotBefore, e.Until)
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		f.mu.Lock()
		f.lastID = id
		f.mu.Unlock()
	}
	return nil
}

func (f *follower) becameLive() {
	f.mu.Lock()
	f.live, f.err = true, nil
	f.down.Store(0)
	f.mu.Unlock()
	closeOnce(f.firstLive)
	f.v.recovered()
}

// closeOnce closes c unless it is closed; only the follower's goroutine
// closes its channels.
func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

func (f *follower) maybePrune() {
	now := f.v.o.Now()
	f.mu.Lock()
	due := now.Sub(f.lastPrne) >= pruneEvery
	if due {
		f.lastPrne = now
	}
	f.mu.Unlock()
	if due {
		f.v.revs.prune(now)
	}
}
