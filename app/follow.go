package app

import (
	"context"
	"time"
)

// logWaiter is a store that can block until its revocation log grows past
// an id (redisstore: XREAD BLOCK on the log's stream), returning the
// highest id it saw.
type logWaiter interface {
	WaitRevocations(ctx context.Context, afterID int64) (int64, error)
}

// followLog reads the revocation log as soon as another node appends to
// it, so a revocation made on node A is refused on node B within
// milliseconds rather than at B's next periodic sync (the tick stays as
// the safety net). On an error it waits a second, then tries again.
func (a *App) followLog(ctx context.Context, w logWaiter) {
	var seen int64
	for ctx.Err() == nil {
		last, err := w.WaitRevocations(ctx, max(seen, a.Revoked.Cursor()))
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("following the revocation log failed", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		if last > seen {
			seen = last
			a.readRevocationLog(ctx)
		}
	}
}
