package pgstore

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// The revocation log's ids are in commit order (the contract of
// store.Sessions.Revocations): every transaction that writes revocations
// takes its ids by updating the single row of revocation_ids, as the last
// lock it takes (doc.go), and holds that row lock until it commits or
// rolls back. The next writer waits for it and, under READ COMMITTED,
// reads the committed counter when it gets the row: so ids are handed out
// in the order their transactions commit, and a reader that sees id n sees
// every lower id that will ever commit. A sequence would not do: nextval
// is taken before commit, so id 8 could commit and be read past while id 7
// is still open.
//
// The transaction also NOTIFYs RevocationChannel (notify.go), delivered at
// its commit, so other nodes read the log within milliseconds.
//
// The cost is that revocation writers (logouts, reuse, evictions; not
// logins or refreshes) are serialised for the tail of their transaction,
// from the counter update to the commit: two statements.

// reserveIDs takes n consecutive revocation ids and returns the first; the
// counter row stays locked by tx until it ends.
func reserveIDs(ctx context.Context, tx pgx.Tx, n int) (int64, error) {
	var last int64
	err := tx.QueryRow(ctx, `UPDATE revocation_ids SET last = last + $1 RETURNING last`, n).Scan(&last)
	return last - int64(n) + 1, err
}

// insertRevocations writes rs with fresh ids from the counter, in order,
// and returns them with their ids set.
func insertRevocations(ctx context.Context, tx pgx.Tx, rs []store.Revocation) ([]store.Revocation, error) {
	if len(rs) == 0 {
		return rs, nil
	}
	first, err := reserveIDs(ctx, tx, len(rs))
	if err != nil {
		return nil, err
	}
	n := len(rs)
	ids, sids, uids := make([]int64, n), make([]string, n), make([]string, n)
	nbs, untils, created := make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range rs {
		rs[i].ID = first + int64(i)
		ids[i], sids[i], uids[i] = rs[i].ID, rs[i].SessionID, rs[i].UserID
		nbs[i], untils[i], created[i] = micro(rs[i].NotBefore), micro(rs[i].Until), micro(rs[i].CreatedAt)
	}
	_, err = tx.Exec(ctx, `INSERT INTO revocations (`+revocationCols+`)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])`,
		ids, sids, uids, nbs, untils, created)
	if err != nil {
		return nil, err
	}
	return rs, notifyRevocations(ctx, tx)
}

// revokeEnded writes the revocations of the deleted sessions, in order.
func revokeEnded(ctx context.Context, tx pgx.Tx, ending []store.Ending, now, until time.Time) ([]store.Ended, error) {
	rs := make([]store.Revocation, len(ending))
	for i, e := range ending {
		rs[i] = store.Revocation{SessionID: e.Session.ID, UserID: e.Session.UserID, Until: until, CreatedAt: now}
	}
	rs, err := insertRevocations(ctx, tx, rs)
	if err != nil {
		return nil, err
	}
	ended := make([]store.Ended, len(ending))
	for i, e := range ending {
		ended[i] = store.Ended{Session: e.Session, Revocation: rs[i], Reason: e.Reason}
	}
	return ended, nil
}

// Revocations implements store.Sessions: a plain read, ordered by id.
func (s *Store) Revocations(ctx context.Context, now time.Time, afterID int64) ([]store.Revocation, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+revocationCols+` FROM revocations
		WHERE id > $1 AND until > $2 ORDER BY id`, afterID, micro(now))
	if err != nil {
		return nil, wrap("revocations", err)
	}
	rs, err := collect(rows, scanRevocation)
	return rs, wrap("revocations", err)
}

// AddRevocation implements store.Sessions.
func (s *Store) AddRevocation(ctx context.Context, r store.Revocation) (store.Revocation, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out store.Revocation
	err := s.write(ctx, "add revocation", func(tx pgx.Tx) error {
		rs, err := insertRevocations(ctx, tx, []store.Revocation{r})
		if err == nil {
			out = rs[0]
		}
		return err
	})
	return out, err
}
