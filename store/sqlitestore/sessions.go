package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// CreateSession implements store.Sessions.
func (s *Store) CreateSession(ctx context.Context, in store.CreateSession) ([]store.Ended, error) {
	sess := in.Session
	if sess.RefreshGen == 0 {
		sess.RefreshGen = 1
	}
	if sess.RefreshGen != 1 {
		return nil, fmt.Errorf("sqlitestore: create session: RefreshGen is %d, want 1", sess.RefreshGen)
	}
	if len(sess.RefreshHash) == 0 {
		return nil, wrap("create session", errEmptyHash)
	}
	if sess.RotatedAt.IsZero() {
		sess.RotatedAt = sess.CreatedAt
	}
	args, err := sessionArgs(sess)
	if err != nil {
		return nil, wrap("create session", err)
	}
	var ended []store.Ended
	err = s.write(ctx, "create session", func(tx *wtx) error {
		ended = nil
		var ver int64
		err := tx.QueryRowContext(ctx, `SELECT cred_version FROM users WHERE id = ?`, sess.UserID).Scan(&ver)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && ver != in.CredVersion) {
			return store.ErrCredentialChanged
		}
		if err != nil {
			return err
		}
		existing, err := userSessions(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		dead, end, err := store.PlanCreate(existing, in)
		if err != nil {
			return err
		}
		for _, d := range dead {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, d.ID); err != nil {
				return err
			}
		}
		for _, e := range end {
			en, err := endSession(ctx, tx, e.Session.ID, e.Reason, in.Now, in.RevokeUntil)
			if err != nil {
				return err
			}
			ended = append(ended, en)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

var errEmptyHash = errors.New("empty refresh token hash")

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, userID, id string) (store.Session, error) {
	sess, err := loadSession(ctx, s.rd, userID, id)
	return sess, wrap("session", err)
}

// loadSession reads session id of userID (not found if it is another's).
func loadSession(ctx context.Context, q querier, userID, id string) (store.Session, error) {
	return scanSession(q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ? AND user_id = ?`, id, userID))
}

// SessionByCookie implements store.Sessions. An empty hash matches nothing.
func (s *Store) SessionByCookie(ctx context.Context, userID, id string, hash []byte) (store.Session, error) {
	if len(hash) == 0 {
		return store.Session{}, wrap("session by cookie", store.ErrNotFound)
	}
	sess, err := scanSession(s.rd.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE id = ? AND user_id = ? AND cookie_hash = ?`, id, userID, hash))
	return sess, wrap("session by cookie", err)
}

// UserSessions implements store.Sessions.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	ss, err := userSessions(ctx, s.rd, userID)
	return ss, wrap("user sessions", err)
}

// userSessions lists userID's sessions newest first, through the
// (user_id, created_at) index.
func userSessions(ctx context.Context, q querier, userID string) ([]store.Session, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSession)
}

// Touch implements store.Sessions.
func (s *Store) Touch(ctx context.Context, userID, id string, now time.Time) error {
	return s.write(ctx, "touch", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND user_id = ?`, micro(now), id, userID)
		return mustAffect(res, err)
	})
}

// Slide implements store.Sessions.
func (s *Store) Slide(ctx context.Context, userID, id string, now time.Time, refreshTTL time.Duration) (store.Session, error) {
	var out store.Session
	err := s.write(ctx, "slide", func(tx *wtx) error {
		var err error
		out, err = scanSession(tx.QueryRowContext(ctx, `UPDATE sessions SET last_seen_at = ?,
			refresh_expires_at = MIN(?, expires_at) WHERE id = ? AND user_id = ? RETURNING `+sessionCols,
			micro(now), micro(now.Add(refreshTTL)), id, userID))
		return err
	})
	return out, err
}

// RenewSession implements store.Sessions: one UPDATE moves the row to its
// new id, and the old id gets its revocation, in one transaction.
func (s *Store) RenewSession(ctx context.Context, in store.RenewSession) (store.Session, store.Ended, error) {
	if len(in.CookieHash) == 0 || len(in.RefreshHash) == 0 || in.NewID == "" {
		return store.Session{}, store.Ended{}, wrap("renew session", errEmptyHash)
	}
	var (
		out   store.Session
		ended store.Ended
	)
	err := s.write(ctx, "renew session", func(tx *wtx) error {
		cur, err := loadSession(ctx, tx, in.UserID, in.OldID)
		if err != nil {
			return err
		}
		if cur.ExpiredAt(in.Now, in.IdleTimeout) {
			return store.ErrNotFound
		}
		out, err = scanSession(tx.QueryRowContext(ctx, `UPDATE sessions SET id = ?, cookie_hash = ?,
			refresh_gen = 1, refresh_hash = ?, rotated_at = ?, auth_time = ?, last_seen_at = ?
			WHERE id = ? RETURNING `+sessionCols,
			in.NewID, in.CookieHash, in.RefreshHash, micro(in.Now), micro(in.Now), micro(in.Now), in.OldID))
		if err != nil {
			return err
		}
		ended, err = revokeEnded(ctx, tx, cur, "renewed", in.Now, in.RevokeUntil)
		return err
	})
	if err != nil {
		return store.Session{}, store.Ended{}, err
	}
	return out, ended, nil
}

// Reauth implements store.Sessions.
func (s *Store) Reauth(ctx context.Context, userID, id string, gen int64, refreshHash []byte, now time.Time, refreshTTL, idle time.Duration) (store.Session, error) {
	if len(refreshHash) == 0 {
		return store.Session{}, wrap("reauth", errEmptyHash)
	}
	var out store.Session
	err := s.write(ctx, "reauth", func(tx *wtx) error {
		cur, err := loadSession(ctx, tx, userID, id)
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
// session's absolute expiry. It also writes cur.AuthTime. The session row
// is the whole chain: nothing else is written.
func advanceChain(ctx context.Context, tx *wtx, cur store.Session, hash []byte, now time.Time, ttl time.Duration) (store.Session, error) {
	rexp := now.Add(ttl)
	if cur.ExpiresAt.Before(rexp) {
		rexp = cur.ExpiresAt
	}
	return scanSession(tx.QueryRowContext(ctx, `UPDATE sessions SET refresh_gen = ?, refresh_hash = ?,
		rotated_at = ?, last_seen_at = ?, refresh_expires_at = ?, auth_time = ? WHERE id = ? RETURNING `+sessionCols,
		cur.RefreshGen+1, hash, micro(now), micro(now), micro(rexp), micro(cur.AuthTime), cur.ID))
}
