package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// RevocationChannel is the LISTEN/NOTIFY channel on which every
// transaction that writes revocations announces, at its commit, the schema
// it wrote to (the payload), so that other nodes read the log at once
// instead of at their next periodic sync.
const RevocationChannel = "gatehouse_revocations"

// notifyRevocations queues the announcement in tx; PostgreSQL delivers it
// when (and only if) tx commits, in commit order.
func notifyRevocations(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, current_schema())`, RevocationChannel)
	return err
}

// How WatchRevocations keeps its connection: it checks a silent connection
// with a ping every idleCheck (a server that vanished without closing the
// socket is noticed within idleCheck+pingTimeout), and reconnects after
// a failure with a backoff from minBackoff doubling up to maxBackoff.
const (
	idleCheck   = 15 * time.Second
	pingTimeout = 5 * time.Second
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 5 * time.Second
)

// WatchRevocations runs until ctx ends. It listens on RevocationChannel on
// a connection of its own and calls kick whenever a revocation written to
// this schema (by any node) commits. Notifications sent while it is not
// listening are lost, so it also calls kick each time it has (re)started
// listening: the caller reads the revocation log after its cursor, which
// replays whatever it missed. Connection failures are reported to onErr
// (may be nil) and retried with backoff; meanwhile the caller's periodic
// sync is what keeps it current.
func (s *Store) WatchRevocations(ctx context.Context, kick func(), onErr func(error)) {
	backoff := minBackoff
	for {
		listening := false
		err := s.listen(ctx, func() { listening = true; kick() }, kick)
		if ctx.Err() != nil {
			return
		}
		if listening {
			backoff = minBackoff
		}
		if onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen connects, LISTENs, calls started, then calls kick for each
// notification about this schema until the connection fails.
func (s *Store) listen(ctx context.Context, started, kick func()) error {
	cfg := s.pool.Config().ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return wrap("listen", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{RevocationChannel}.Sanitize()); err != nil {
		return wrap("listen", err)
	}
	started()
	for {
		wctx, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Payload == s.schema {
				kick()
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || wctx.Err() != nil:
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return wrap("listen", err)
			}
		default:
			return wrap("listen", err)
		}
	}
}
