package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
)

var errEmptyHash = errors.New("empty refresh token hash")

// CreateSession implements store.Sessions. Under the user's advisory lock
// (so concurrent logins of one user apply the limit one after the other,
// and a password change cannot slip between the version check and the
// insert) it checks the credential version, loads the user's sessions,
// lets store.PlanCreate decide, and applies the plan.
func (s *Store) CreateSession(ctx context.Context, in store.CreateSession) ([]store.Ended, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	sess := in.Session
	if sess.RefreshGen == 0 {
		sess.RefreshGen = 1
	}
	if sess.RefreshGen != 1 {
		return nil, fmt.Errorf("pgstore: create session: RefreshGen is %d, want 1", sess.RefreshGen)
	}
	if len(sess.RefreshHash) == 0 {
		return nil, wrap("create session", errEmptyHash)
	}
	if sess.RotatedAt.IsZero() {
		sess.RotatedAt = sess.CreatedAt
	}
	var ended []store.Ended
	err := s.write(ctx, "create session", func(tx pgx.Tx) error {
		ended = nil
		if err := s.lockUser(ctx, tx, sess.UserID); err != nil {
			return err
		}
		var ver int64
		err := tx.QueryRow(ctx, `SELECT cred_version FROM users WHERE id = $1`, sess.UserID).Scan(&ver)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && ver != in.CredVersion) {
			return store.ErrCredentialChanged
		}
		if err != nil {
			return err
		}
		existing, err := userSessions(ctx, tx, sess.UserID, true)
		if err != nil {
			return err
		}
		dead, end, err := store.PlanCreate(existing, in)
		if err != nil {
			return err
		}
		if len(dead) > 0 {
			ids := make([]string, len(dead))
			for i, d := range dead {
				ids[i] = d.ID
			}
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ANY($1)`, ids); err != nil {
				return err
			}
		}
		if len(end) > 0 {
			ids := make([]string, len(end))
			for i, e := range end {
				ids[i] = e.Session.ID
			}
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ANY($1)`, ids); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			sessionArgs(sess)...); err != nil {
			return err
		}
		ended, err = revokeEnded(ctx, tx, end, in.Now, in.RevokeUntil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, userID, id string) (store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	sess, err := loadSession(ctx, s.pool, userID, id, false)
	return sess, wrap("session", err)
}

// loadSession reads session id of userID (not found if it is another's),
// locking its row for the transaction when lock is set.
func loadSession(ctx context.Context, q querier, userID, id string, lock bool) (store.Session, error) {
	sql := `SELECT ` + sessionCols + ` FROM sessions WHERE id = $1 AND user_id = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	return scanSession(q.QueryRow(ctx, sql, id, userID))
}

// SessionByCookie implements store.Sessions. An empty hash matches nothing.
func (s *Store) SessionByCookie(ctx context.Context, userID, id string, hash []byte) (store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(hash) == 0 {
		return store.Session{}, wrap("session by cookie", store.ErrNotFound)
	}
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE id = $1 AND user_id = $2 AND cookie_hash = $3`, id, userID, hash))
	return sess, wrap("session by cookie", err)
}

// UserSessions implements store.Sessions.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ss, err := userSessions(ctx, s.pool, userID, false)
	return ss, wrap("user sessions", err)
}

// userSessions lists userID's sessions newest first, locking the rows when
// lock is set.
func userSessions(ctx context.Context, q querier, userID string, lock bool) ([]store.Session, error) {
	sql := `SELECT ` + sessionCols + ` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql, userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSession)
}

// Touch implements store.Sessions.
func (s *Store) Touch(ctx context.Context, userID, id string, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND user_id = $3`, micro(now), id, userID)
	return wrap("touch", mustAffect(tag, err))
}

// Slide implements store.Sessions: one UPDATE.
func (s *Store) Slide(ctx context.Context, userID, id string, now time.Time, refreshTTL time.Duration) (store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := scanSession(s.pool.QueryRow(ctx, `UPDATE sessions SET last_seen_at = $1,
		refresh_expires_at = LEAST($2, expires_at) WHERE id = $3 AND user_id = $4 RETURNING `+sessionCols,
		micro(now), micro(now.Add(refreshTTL)), id, userID))
	return out, wrap("slide", err)
}

// RenewSession implements store.Sessions: one UPDATE moves the row to its
// new id, and the old id gets its revocation, in one transaction.
func (s *Store) RenewSession(ctx context.Context, in store.RenewSession) (store.Session, store.Ended, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(in.CookieHash) == 0 || len(in.RefreshHash) == 0 || in.NewID == "" {
		return store.Session{}, store.Ended{}, wrap("renew session", errEmptyHash)
	}
	var (
		out   store.Session
		ended store.Ended
	)
	err := s.write(ctx, "renew session", func(tx pgx.Tx) error {
		cur, err := loadSession(ctx, tx, in.UserID, in.OldID, true)
		if err != nil {
			return err
		}
		if cur.ExpiredAt(in.Now, in.IdleTimeout) {
			return store.ErrNotFound
		}
		now := micro(in.Now)
		out, err = scanSession(tx.QueryRow(ctx, `UPDATE sessions SET id = $1, cookie_hash = $2,
			refresh_gen = 1, refresh_hash = $3, rotated_at = $4, auth_time = $4, last_seen_at = $4
			WHERE id = $5 RETURNING `+sessionCols,
			in.NewID, in.CookieHash, in.RefreshHash, now, in.OldID))
		if err != nil {
			return err
		}
		en, err := revokeEnded(ctx, tx, []store.Ending{{Session: cur, Reason: "renewed"}}, in.Now, in.RevokeUntil)
		if err == nil {
			ended = en[0]
		}
		return err
	})
	if err != nil {
		return store.Session{}, store.Ended{}, err
	}
	return out, ended, nil
}

// Reauth implements store.Sessions.
func (s *Store) Reauth(ctx context.Context, userID, id string, gen int64, refreshHash []byte, now time.Time, refreshTTL, idle time.Duration) (store.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if len(refreshHash) == 0 {
		return store.Session{}, wrap("reauth", errEmptyHash)
	}
	var out store.Session
	err := s.write(ctx, "reauth", func(tx pgx.Tx) error {
		cur, err := loadSession(ctx, tx, userID, id, true)
		if err != nil {
			return err
		}
		if cur.ExpiredAt(now, idle) {
			return store.ErrNotFound
		}
		if gen != cur.RefreshGen+1 {
			return store.ErrConflict
		}
		cur.AuthTime = now
		out, err = advanceChain(ctx, tx, cur, refreshHash, now, refreshTTL)
		return err
	})
	return out, err
}

// advanceChain makes hash the current refresh token of cur as generation
// RefreshGen+1, issued and seen at now, expiring at now+ttl capped by the
// session's absolute expiry. It also writes cur.AuthTime.
func advanceChain(ctx context.Context, tx pgx.Tx, cur store.Session, hash []byte, now time.Time, ttl time.Duration) (store.Session, error) {
	rexp := now.Add(ttl)
	if cur.ExpiresAt.Before(rexp) {
		rexp = cur.ExpiresAt
	}
	return scanSession(tx.QueryRow(ctx, `UPDATE sessions SET refresh_gen = $1, refresh_hash = $2,
		rotated_at = $3, last_seen_at = $3, refresh_expires_at = $4, auth_time = $5 WHERE id = $6 RETURNING `+sessionCols,
		cur.RefreshGen+1, hash, micro(now), micro(rexp), micro(cur.AuthTime), cur.ID))
}
