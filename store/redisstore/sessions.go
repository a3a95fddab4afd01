package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

var errEmptyHash = errors.New("empty refresh token hash")

// CreateSession implements store.Sessions in one script (lua/create.lua):
// credential version, dead sessions, listed ends, device rule, limit,
// eviction and the insert, applied together.
func (s *Store) CreateSession(ctx context.Context, in store.CreateSession) ([]store.Ended, error) {
	sess := in.Session
	if sess.RefreshGen == 0 {
		sess.RefreshGen = 1
	}
	if sess.RefreshGen != 1 {
		return nil, fmt.Errorf("redisstore: create session: RefreshGen is %d, want 1", sess.RefreshGen)
	}
	if len(sess.RefreshHash) == 0 {
		return nil, wrap("create session", errEmptyHash)
	}
	if sess.RotatedAt.IsZero() {
		sess.RotatedAt = sess.CreatedAt
	}
	f, err := sessionFields(sess)
	if err != nil {
		return nil, wrap("create session", err)
	}
	replace := "0"
	if in.ReplaceDevice {
		replace = "1"
	}
	args := []string{sess.UserID, sess.ID, strconv.FormatInt(in.CredVersion, 10), micro(in.Now),
		us(in.IdleTimeout), micro(in.RevokeUntil), replace, sess.DeviceID,
		strconv.Itoa(in.MaxSessions), string(in.Overflow), strconv.Itoa(len(in.End))}
	args = append(append(args, in.End...), f...)
	a, err := s.exec(ctx, scriptCreate, s.userKey(sess.UserID), args...).ToArray()
	if err != nil {
		return nil, wrap("create session", err)
	}
	switch status, _ := a[0].ToString(); status {
	case "ok":
		ended, err := decodeEndedList(a[1:], in.Now, in.RevokeUntil)
		return ended, wrap("create session", err)
	case "cred":
		return nil, wrap("create session", store.ErrCredentialChanged)
	case "limit":
		return nil, wrap("create session", store.ErrSessionLimit)
	default:
		return nil, fmt.Errorf("redisstore: create session: overflow policy %q: %s", in.Overflow, status)
	}
}

// RotateRefresh implements store.Sessions in one script (lua/rotate.lua).
func (s *Store) RotateRefresh(ctx context.Context, in store.Rotate) (store.RotateResult, error) {
	a, err := s.exec(ctx, scriptRotate, s.p+"sid:"+in.SessionID, in.SessionID,
		strconv.FormatInt(in.Gen, 10), string(in.PresentedHash), string(in.SuccessorHash),
		micro(in.Now), us(in.Grace), us(in.IdleTimeout), micro(in.RevokeUntil),
		micro(in.Now.Add(in.RefreshTTL)), in.JKT, boolArg(in.RequireBound)).ToArray()
	if err != nil {
		return store.RotateResult{}, wrap("rotate refresh", err)
	}
	act, _ := a[0].ToString()
	var res store.RotateResult
	if len(a) == 3 {
		prev, _ := a[1].ToString()
		res.PrevRotatedAt = fromMicro(prev)
	}
	switch act {
	case "rotate", "replay":
		res.Outcome = store.Rotated
		if act == "replay" {
			res.Outcome = store.Replayed
		}
		res.Session, err = decodeSession(a[2])
		if err != nil {
			return store.RotateResult{}, wrap("rotate refresh", err)
		}
		return res, nil
	case "reuse-after-grace", "reuse-stale":
		res.ReuseCause = act[len("reuse-"):]
		en, err := decodeEnded(a[2], in.Now, in.RevokeUntil)
		if err != nil {
			return store.RotateResult{}, wrap("rotate refresh", err)
		}
		res.Session, res.Ended = en.Session, &en
		return res, fmt.Errorf("redisstore: rotate refresh: %s: %w", res.ReuseCause, store.ErrReused)
	case "session-expired":
		return store.RotateResult{}, wrap("rotate refresh", store.ErrSessionExpired)
	case "refresh-expired":
		return store.RotateResult{}, wrap("rotate refresh", store.ErrRefreshExpired)
	case "key-mismatch":
		return store.RotateResult{}, wrap("rotate refresh", store.ErrKeyMismatch)
	case "unbound":
		return store.RotateResult{}, wrap("rotate refresh", store.ErrUnbound)
	default:
		return store.RotateResult{}, wrap("rotate refresh", store.ErrNotFound)
	}
}

// Session implements store.Sessions.
func (s *Store) Session(ctx context.Context, id string) (store.Session, error) {
	return s.read(ctx, "session", s.p+"sid:"+id, "id", id)
}

// SessionByCookie implements store.Sessions. An empty hash matches nothing.
func (s *Store) SessionByCookie(ctx context.Context, hash []byte) (store.Session, error) {
	if len(hash) == 0 {
		return store.Session{}, wrap("session by cookie", store.ErrNotFound)
	}
	return s.read(ctx, "session by cookie", s.p+"cookie:", "cookie", string(hash))
}

func (s *Store) read(ctx context.Context, op, key, by, v string) (store.Session, error) {
	m, err := s.exec(ctx, scriptRead, key, by, v).ToMessage()
	if rueidis.IsRedisNil(err) || (err == nil && m.IsNil()) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, wrap(op, err)
	}
	sess, err := decodeSession(m)
	return sess, wrap(op, err)
}

// UserSessions implements store.Sessions: the user's index, newest first.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	a, err := s.exec(ctx, scriptList, s.userKey(userID), userID).ToArray()
	if err != nil {
		return nil, wrap("user sessions", err)
	}
	out := make([]store.Session, 0, len(a))
	for _, m := range a {
		sess, err := decodeSession(m)
		if err != nil {
			return nil, wrap("user sessions", err)
		}
		out = append(out, sess)
	}
	return out, nil
}

// change runs lua/change.lua's op on session id.
func (s *Store) change(ctx context.Context, op, id string, now time.Time, args ...string) (store.Session, error) {
	a, err := s.exec(ctx, scriptChange, s.p+"sid:"+id, append([]string{id, op, micro(now)}, args...)...).ToArray()
	if err != nil {
		return store.Session{}, wrap(op, err)
	}
	switch status, _ := a[0].ToString(); status {
	case "ok":
		sess, err := decodeSession(a[1])
		return sess, wrap(op, err)
	case "conflict":
		return store.Session{}, wrap(op, store.ErrConflict)
	default:
		return store.Session{}, wrap(op, store.ErrNotFound)
	}
}

// Touch implements store.Sessions.
func (s *Store) Touch(ctx context.Context, id string, now time.Time) error {
	_, err := s.change(ctx, "touch", id, now)
	return err
}

// Slide implements store.Sessions.
func (s *Store) Slide(ctx context.Context, id string, now time.Time, refreshTTL time.Duration) (store.Session, error) {
	return s.change(ctx, "slide", id, now, micro(now.Add(refreshTTL)))
}

// Reauth implements store.Sessions.
func (s *Store) Reauth(ctx context.Context, id string, gen int64, refreshHash []byte, now time.Time, refreshTTL, idle time.Duration) (store.Session, error) {
	if len(refreshHash) == 0 {
		return store.Session{}, wrap("reauth", errEmptyHash)
	}
	return s.change(ctx, "reauth", id, now, strconv.FormatInt(gen, 10), string(refreshHash),
		micro(now.Add(refreshTTL)), us(idle))
}

// RenewSession implements store.Sessions in one script (lua/renew.lua).
func (s *Store) RenewSession(ctx context.Context, in store.RenewSession) (store.Session, store.Ended, error) {
	if len(in.CookieHash) == 0 || len(in.RefreshHash) == 0 || in.NewID == "" {
		return store.Session{}, store.Ended{}, wrap("renew session", errEmptyHash)
	}
	a, err := s.exec(ctx, scriptRenew, s.p+"sid:"+in.OldID, in.OldID, in.NewID, string(in.CookieHash),
		string(in.RefreshHash), micro(in.Now), us(in.IdleTimeout), micro(in.RevokeUntil)).ToArray()
	if err != nil {
		return store.Session{}, store.Ended{}, wrap("renew session", err)
	}
	if status, _ := a[0].ToString(); status != "ok" {
		return store.Session{}, store.Ended{}, wrap("renew session", store.ErrNotFound)
	}
	sess, err := decodeSession(a[1])
	if err != nil {
		return store.Session{}, store.Ended{}, wrap("renew session", err)
	}
	en, err := decodeEnded(a[2], in.Now, in.RevokeUntil)
	return sess, en, wrap("renew session", err)
}
