package app

import "context"

// revocationWatcher is a store that pushes "a revocation committed" to
// every node (pgstore: LISTEN/NOTIFY). SQLite has no other node to tell.
type revocationWatcher interface {
	WatchRevocations(ctx context.Context, kick func(), onErr func(error))
}

// watchPushes starts the store's revocation watcher, if it has one: each
// announcement makes the sync loop read the log at once, so a logout on
// another node is refused here within milliseconds instead of at the next
// one-second sync. The sync stays the safety net: a lost announcement (the
// listener reconnecting) only delays a revocation to the next tick, and the
// watcher kicks once after each reconnect to replay the log.
func (a *App) watchPushes(ctx context.Context) {
	w, ok := a.Store.(revocationWatcher)
	if !ok {
		return
	}
	kick := func() {
		select {
		case a.pushed <- struct{}{}:
		default: // a read is pending already; it will see this one too
		}
	}
	go w.WatchRevocations(ctx, kick, func(err error) {
		a.Log.Warn("revocation push (LISTEN) interrupted; the periodic sync covers it", "err", err)
	})
}
