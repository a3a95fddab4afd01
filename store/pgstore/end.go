package pgstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

// EndSessions implements store.Sessions, under the user's lock.
func (s *Store) EndSessions(ctx context.Context, userID string, ids []string, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ended := []store.Ended{}
	err := s.write(ctx, "end sessions", func(tx pgx.Tx) error {
		if err := s.lockUser(ctx, tx, userID); err != nil {
			return err
		}
		uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
		rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id = ANY($2)
			RETURNING `+sessionCols, userID, uniq)
		if err != nil {
			return err
		}
		gone, err := collect(rows, scanSession)
		if err != nil {
			return err
		}
		if len(uniq) == 1 && len(gone) == 0 {
			return store.ErrNotFound
		}
		// Revocations in the order the caller listed the sessions.
		pos := make(map[string]int, len(ids))
		for i, id := range ids {
			if _, ok := pos[id]; !ok {
				pos[id] = i
			}
		}
		slices.SortFunc(gone, func(a, b store.Session) int { return pos[a.ID] - pos[b.ID] })
		ended, err = revokeEnded(ctx, tx, endings(gone, reason), now, revokeUntil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

func endings(ss []store.Session, reason string) []store.Ending {
	out := make([]store.Ending, len(ss))
	for i, sess := range ss {
		out[i] = store.Ending{Session: sess, Reason: reason}
	}
	return out
}

// EndUserSessions implements store.Sessions. It is set-based — one delete
// of every session, one insert of every revocation — so "log out
// everywhere" for a user with a thousand sessions stays a few statements.
func (s *Store) EndUserSessions(ctx context.Context, userID, keep, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var ended []store.Ended
	err := s.write(ctx, "end user sessions", func(tx pgx.Tx) error {
		if err := s.lockUser(ctx, tx, userID); err != nil {
			return err
		}
		var err error
		ended, err = endUserSessions(ctx, tx, userID, keep, reason, now, revokeUntil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// endUserSessions ends every session of userID but keep inside tx (which
// holds the user's lock); revocations go in creation order.
func endUserSessions(ctx context.Context, tx pgx.Tx, userID, keep, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2
		RETURNING `+sessionCols, userID, keep)
	if err != nil {
		return nil, err
	}
	gone, err := collect(rows, scanSession)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(gone, func(a, b store.Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return revokeEnded(ctx, tx, endings(gone, reason), now, revokeUntil)
}

// endOne deletes session id (its refresh chain is part of the row) and
// writes its revocation.
func endOne(ctx context.Context, tx pgx.Tx, id, reason string, now, until time.Time) (store.Ended, error) {
	sess, err := scanSession(tx.QueryRow(ctx, `DELETE FROM sessions WHERE id = $1 RETURNING `+sessionCols, id))
	if err != nil {
		return store.Ended{}, err
	}
	en, err := revokeEnded(ctx, tx, []store.Ending{{Session: sess, Reason: reason}}, now, until)
	if err != nil {
		return store.Ended{}, err
	}
	return en[0], nil
}

// Sweep implements store.Sessions. It counts the sessions, revocations and
// challenges it removed; full rate-limit buckets (equivalent to absent
// ones) are dropped too, uncounted.
func (s *Store) Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	ctx, cancel := s.boundLong(ctx)
	defer cancel()
	idleBefore := int64(-1) // no idle expiry: matches nothing (times are >= 0)
	if idle > 0 {
		idleBefore = micro(now.Add(-idle))
	}
	t := micro(now)
	var n int64
	err := s.write(ctx, "sweep", func(tx pgx.Tx) error {
		n = 0
		dead := `expires_at <= $1 OR last_seen_at <= $2 OR (refresh_expires_at <> 0 AND refresh_expires_at <= $1)`
		for _, q := range []struct {
			sql   string
			args  []any
			count bool
		}{
			{`DELETE FROM sessions WHERE ` + dead, []any{t, idleBefore}, true},
			{`DELETE FROM revocations WHERE until <= $1`, []any{t}, true},
			{`DELETE FROM challenges WHERE expires_at <= $1`, []any{t}, true},
			{`DELETE FROM rate_limits WHERE full_at <= $1`, []any{t}, false},
			{`DELETE FROM dpop_proofs WHERE until <= $1`, []any{t}, false},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			if q.count {
				n += tag.RowsAffected()
			}
		}
		return nil
	})
	return int(n), err
}

// CountSessions implements store.Sessions.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n)
	return n, wrap("count sessions", err)
}
