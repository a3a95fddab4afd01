package app

import (
	"context"
	"fmt"
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

// partsPinger is a store made of two (redisstore: session state in Redis,
// users in SQLite or PostgreSQL) that pings them apart.
type partsPinger interface {
	PingParts(ctx context.Context) (sessions, users error)
}

// CheckStore pings the store once (bounded by storePingTimeout) and records
// the outcome for /readyz and gatehouse_store_up; it logs when the state
// changes. It also checks the session store's epoch (epoch.go), so a
// Redis restarted empty is noticed within a second. Background calls it
// every second; tests call it to observe a failure without waiting for the
// loop.
//
// With the session state in Redis, the two stores are pinged apart. API.md
// wants /readyz 200 only while every configured store answers, so a users
// store that is down makes the node unready too, but the reason says which
// store it is and that refresh, logout and verify go on, and
// gatehouse_users_store_up reports that part alone.
func (a *App) CheckStore(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, storePingTimeout)
	defer cancel()
	var err, usersErr error
	if pp, ok := a.Store.(partsPinger); ok {
		err, usersErr = pp.PingParts(ctx)
		if err == nil && usersErr != nil {
			err = fmt.Errorf("the users store (login, signup and password changes need it; refresh, logout and verify go on): %w", usersErr)
		}
	} else {
		err = a.Store.Ping(ctx)
	}
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
	usersWas := a.usersHealth.Err()
	a.usersHealth.set(usersErr)
	switch {
	case usersErr != nil && usersWas == nil:
		a.Log.Warn("users store down: login, signup and password changes answer 503; refresh, logout and verify go on", "err", usersErr)
	case usersErr == nil && usersWas != nil:
		a.Log.Info("users store up again")
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

// usersStoreUp is gatehouse_users_store_up: 1 while the users store
// answered the last ping (with one store, the same as storeUp).
func (a *App) usersStoreUp() float64 {
	err := a.usersHealth.Err()
	if _, split := a.Store.(partsPinger); !split {
		err = a.health.Err()
	}
	if err != nil {
		return 0
	}
	return 1
}
