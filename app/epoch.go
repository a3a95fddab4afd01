package app

import (
	"context"
	"sync"
	"time"
)

// epochStore is a store whose data can vanish as a whole (redisstore: a
// Redis restarted without persistence). Epoch names the current life of its
// data and the time from which it holds every session (see
// redisstore.Store.Epoch), creating a new epoch no earlier than atLeast
// when none exists.
type epochStore interface {
	Epoch(ctx context.Context, atLeast time.Time) (id string, since time.Time, err error)
}

// epochWatch is what the node knows of the store's epoch.
type epochWatch struct {
	mu   sync.Mutex
	id   string    // "" before the first check
	seen time.Time // when id was last confirmed
}

// checkEpoch reads the store's epoch and, at the first check and whenever
// it changed, refuses every access token issued before the epoch's time
// (for access TTL + leeway after it, when none can be alive any more):
// those tokens belong to sessions the store no longer has, and the
// revocations that covered some of them are lost with it. Fail closed:
// users whose sessions are gone log in again anyway. A node that sees the
// epoch change also refuses what was issued before it last saw the old
// one (a flush leaves Redis's start time in the past).
func (a *App) checkEpoch(ctx context.Context) error {
	es, ok := a.Store.(epochStore)
	if !ok {
		return nil
	}
	a.epoch.mu.Lock()
	defer a.epoch.mu.Unlock()
	var atLeast time.Time
	if a.epoch.id != "" {
		atLeast = a.epoch.seen
	}
	id, since, err := es.Epoch(ctx, atLeast)
	if err != nil {
		return err
	}
	if id != a.epoch.id {
		nb := since
		if a.epoch.id != "" {
			nb = later(nb, a.epoch.seen)
			a.Log.Warn("the session store lost its data (a Redis restarted empty?): sessions are gone and every access token issued before the new epoch is refused",
				"not_before", nb.UTC().Format(time.RFC3339))
		}
		// iat has whole seconds (rounded down), so the not-before is too:
		// a token issued in the new epoch's first second must pass, or
		// every login in a Redis's first second would fail. The price is
		// that a token issued in the same second just before a restart
		// is not refused.
		nb = nb.Truncate(time.Second)
		a.Revoked.RevokeAllBefore(nb, nb.Add(a.Config.AccessTTL+a.Config.Leeway))
		a.epoch.id = id
	}
	a.epoch.seen = a.Now()
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
