package sqlitestore

import (
	"context"
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
	if sess.RotatedAt.IsZero() {
		sess.RotatedAt = sess.CreatedAt
	}
	var ended []store.Ended
	err := s.write(ctx, "create session", func(tx *wtx) error {
		ended = nil
		existing, err := userSessions(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		dead, end, err := planCreate(existing, in)
		if err != nil {
			return err
		}
		for _, d := range dead {
			if err := deleteRefreshOf(ctx, tx, `id = ?`, d.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, d.ID); err != nil {
				return err
			}
		}
		for _, e := range end {
			en, err := endSession(ctx, tx, e.session.ID, e.reason, in.Now, in.RevokeUntil)
			if err != nil {
				return err
			}
			ended = append(ended, en)
		}
		return insertSession(ctx, tx, sess, in.RefreshHash)
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

func insertSession(ctx context.Context, tx *wtx, sess store.Session, refreshHash []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sessionArgs(sess)...)
	if err != nil {
		return err
	}
	return insertRefresh(ctx, tx, refreshHash, sess.ID, sess.RefreshGen, sess.RotatedAt)
}

var errEmptyHash = errors.New("empty refresh token hash")

func insertRefresh(ctx context.Context, tx *wtx, hash []byte, sessionID string, gen int64, at time.Time) error {
	if len(hash) == 0 {
		return errEmptyHash
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, session_id, gen, created_at)
		VALUES (?, ?, ?, ?)`, hash, sessionID, gen, micro(at))
	return err
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, id string) (store.Session, error) {
	sess, err := loadSession(ctx, s.rd, id)
	return sess, wrap("session", err)
}

func loadSession(ctx context.Context, q querier, id string) (store.Session, error) {
	return scanSession(q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
}

// SessionByCookie implements store.Sessions. An empty hash matches nothing.
func (s *Store) SessionByCookie(ctx context.Context, hash []byte) (store.Session, error) {
	if len(hash) == 0 {
		return store.Session{}, wrap("session by cookie", store.ErrNotFound)
	}
	sess, err := scanSession(s.rd.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions
		WHERE cookie_hash = ?`, hash))
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
func (s *Store) Touch(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, "touch", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, micro(now), id)
		return mustAffect(res, err)
	})
}

// Reauth implements store.Sessions.
func (s *Store) Reauth(ctx context.Context, id string, refreshHash []byte, now time.Time, refreshTTL time.Duration) (store.Session, error) {
	var out store.Session
	err := s.write(ctx, "reauth", func(tx *wtx) error {
		cur, err := loadSession(ctx, tx, id)
		if err != nil {
			return err
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
func advanceChain(ctx context.Context, tx *wtx, cur store.Session, hash []byte, now time.Time, ttl time.Duration) (store.Session, error) {
	gen := cur.RefreshGen + 1
	if err := insertRefresh(ctx, tx, hash, cur.ID, gen, now); err != nil {
		return store.Session{}, err
	}
	rexp := now.Add(ttl)
	if cur.ExpiresAt.Before(rexp) {
		rexp = cur.ExpiresAt
	}
	return scanSession(tx.QueryRowContext(ctx, `UPDATE sessions SET refresh_gen = ?, rotated_at = ?,
		last_seen_at = ?, refresh_expires_at = ?, auth_time = ? WHERE id = ? RETURNING `+sessionCols,
		gen, micro(now), micro(now), micro(rexp), micro(cur.AuthTime), cur.ID))
}

// RefreshSession implements store.Sessions.
func (s *Store) RefreshSession(ctx context.Context, hash []byte) (store.Session, int64, error) {
	var sid string
	var gen int64
	err := s.rd.QueryRowContext(ctx, `SELECT session_id, gen FROM refresh_tokens WHERE hash = ?`, hash).Scan(&sid, &gen)
	if err != nil {
		return store.Session{}, 0, wrap("refresh session", err)
	}
	sess, err := loadSession(ctx, s.rd, sid)
	return sess, gen, wrap("refresh session", err)
}
