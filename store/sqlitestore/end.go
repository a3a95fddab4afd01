package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// endSession deletes session id (its refresh chain is part of the row) and
// writes its revocation.
func endSession(ctx context.Context, tx *wtx, id, reason string, now, until time.Time) (store.Ended, error) {
	sess, err := scanSession(tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE id = ? RETURNING `+sessionCols, id))
	if err != nil {
		return store.Ended{}, err
	}
	return revokeEnded(ctx, tx, sess, reason, now, until)
}

// revokeEnded writes the revocation of the deleted session sess.
func revokeEnded(ctx context.Context, tx *wtx, sess store.Session, reason string, now, until time.Time) (store.Ended, error) {
	rev, err := insertRevocation(ctx, tx, store.Revocation{
		SessionID: sess.ID, UserID: sess.UserID, Until: until, CreatedAt: now,
	})
	return store.Ended{Session: sess, Revocation: rev, Reason: reason}, err
}

func insertRevocation(ctx context.Context, tx *wtx, r store.Revocation) (store.Revocation, error) {
	return scanRevocation(tx.QueryRowContext(ctx, `INSERT INTO revocations
		(session_id, user_id, not_before, until, created_at) VALUES (?, ?, ?, ?, ?)
		RETURNING `+revocationCols,
		r.SessionID, r.UserID, micro(r.NotBefore), micro(r.Until), micro(r.CreatedAt)))
}

// EndSessions implements store.Sessions.
func (s *Store) EndSessions(ctx context.Context, userID string, ids []string, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	ended := []store.Ended{}
	err := s.write(ctx, "end sessions", func(tx *wtx) error {
		ended = ended[:0]
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			sess, err := scanSession(tx.QueryRowContext(ctx, `DELETE FROM sessions
				WHERE id = ? AND user_id = ? RETURNING `+sessionCols, id, userID))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			en, err := revokeEnded(ctx, tx, sess, reason, now, revokeUntil)
			if err != nil {
				return err
			}
			ended = append(ended, en)
		}
		if len(ids) == 1 && len(ended) == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// EndUserSessions implements store.Sessions. It is set-based — one insert
// of every revocation, one delete of every session — so "log out
// everywhere" for a user with a thousand sessions stays a few statements.
func (s *Store) EndUserSessions(ctx context.Context, userID, keep, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	var ended []store.Ended
	err := s.write(ctx, "end user sessions", func(tx *wtx) error {
		var err error
		ended, err = endUserSessions(ctx, tx, userID, keep, reason, now, revokeUntil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// endUserSessions ends every session of userID but keep inside tx.
func endUserSessions(ctx context.Context, tx *wtx, userID, keep, reason string, now, revokeUntil time.Time) ([]store.Ended, error) {
	rows, err := tx.QueryContext(ctx, `INSERT INTO revocations (session_id, user_id, not_before, until, created_at)
		SELECT id, user_id, 0, ?, ? FROM sessions WHERE user_id = ? AND id <> ? ORDER BY created_at, id
		RETURNING `+revocationCols, micro(revokeUntil), micro(now), userID, keep)
	if err != nil {
		return nil, err
	}
	revs, err := collect(rows, scanRevocation)
	if err != nil {
		return nil, err
	}
	bySession := make(map[string]store.Revocation, len(revs))
	for _, r := range revs {
		bySession[r.SessionID] = r
	}
	rows, err = tx.QueryContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?
		RETURNING `+sessionCols, userID, keep)
	if err != nil {
		return nil, err
	}
	gone, err := collect(rows, scanSession)
	if err != nil {
		return nil, err
	}
	ended := make([]store.Ended, 0, len(gone))
	for _, sess := range gone {
		ended = append(ended, store.Ended{Session: sess, Revocation: bySession[sess.ID], Reason: reason})
	}
	return ended, nil
}

// Revocations implements store.Sessions.
func (s *Store) Revocations(ctx context.Context, now time.Time, afterID int64) ([]store.Revocation, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+revocationCols+` FROM revocations
		WHERE id > ? AND until > ? ORDER BY id`, afterID, micro(now))
	if err != nil {
		return nil, wrap("revocations", err)
	}
	rs, err := collect(rows, scanRevocation)
	return rs, wrap("revocations", err)
}

// AddRevocation implements store.Sessions.
func (s *Store) AddRevocation(ctx context.Context, r store.Revocation) (store.Revocation, error) {
	var out store.Revocation
	err := s.write(ctx, "add revocation", func(tx *wtx) error {
		var err error
		out, err = insertRevocation(ctx, tx, r)
		return err
	})
	return out, err
}

// Sweep implements store.Sessions. It counts the sessions, revocations and
// challenges it removed; full
// rate-limit buckets (equivalent to absent ones) are dropped too, uncounted.
func (s *Store) Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	idleBefore := int64(-1) // no idle expiry: matches nothing (times are >= 0)
	if idle > 0 {
		idleBefore = micro(now.Add(-idle))
	}
	t := micro(now)
	var n int64
	err := s.write(ctx, "sweep", func(tx *wtx) error {
		n = 0
		dead := `expires_at <= ? OR last_seen_at <= ? OR (refresh_expires_at <> 0 AND refresh_expires_at <= ?)`
		for _, q := range []struct {
			sql   string
			args  []any
			count bool
		}{
			{`DELETE FROM sessions WHERE ` + dead, []any{t, idleBefore, t}, true},
			{`DELETE FROM revocations WHERE until <= ?`, []any{t}, true},
			{`DELETE FROM challenges WHERE expires_at <= ?`, []any{t}, true},
			{`DELETE FROM rate_limits WHERE full_at <= ?`, []any{t}, false},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if q.count {
				n += k
			}
		}
		return nil
	})
	return int(n), err
}

// CountSessions implements store.Sessions.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n)
	return n, wrap("count sessions", err)
}
