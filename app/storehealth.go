package app

import (
	"context"
	"sync"
	"time"
)

// storePingTimeout bounds one health ping: shorter than the ping period, so
// a store that stalls (a paused Redis, a dead TCP peer) is reported down
// within about a second and a half instead of hanging the loop.
const storePingTimeout = 800 * time.Millisecond

// storeHealth is the outcome of the last background ping of the store. The
// readiness probe and the gatehouse_store_up gauge read it: neither may
// query the store itself, or every probe and scrape becomes a store round
// trip that an outsider can drive (and that hangs while the store stalls).
type storeHealth struct {
	mu  sync.RWMutex
	err error // nil: the store answered the last ping
}

func (h *storeHealth) set(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// Err is nil while the store answers, else why it did not.
func (h *storeHealth) Err() error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.err
}

// CheckStore pings the store once (bounded by storePingTimeout) and records
// the outcome for /readyz and gatehouse_store_up; it logs when the state
// changes. It also checks the session store's epoch (epoch.go), so a
// Redis restarted empty is noticed within a second. Background calls it
// every second; tests call it to observe a failure without waiting for the
// loop.
func (a *App) CheckStore(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
	defer cancel()
	err := a.Store.Ping(ctx)
	if err == nil {
		err = a.checkEpoch(ctx)
	}
	was := a.health.Err()
	a.health.set(err)
	switch {
	case err != nil && was == nil:
		a.Log.Warn("store down: /readyz answers 503 until it answers again", "err", err)
	case err == nil && was != nil:
		a.Log.Info("store up again")
	}
	return err
}

// watchStore pings the store every period until ctx ends.
func (a *App) watchStore(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.CheckStore(ctx)
		}
	}
}

// storeUp is the gauge's value: 1 while the last ping succeeded.
func (a *App) storeUp() float64 {
	if a.health.Err() != nil {
		return 0
	}
	return 1
}
