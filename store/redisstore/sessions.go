package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

var errEmptyHash = errors.New("empty refresh token hash")

// CreateSession implements store.Sessions in one script on the user's key
// (lua/create.lua): credential version, dead sessions, listed ends, device
// rule, limit, eviction and the insert, applied together. When the plan
// ends sessions, their revocations are appended to the log first (see
// ending).
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
	args := []string{encID(sess.UserID), encID(sess.ID), strconv.FormatInt(in.CredVersion, 10), micro(in.Now),
		us(in.IdleTimeout), replace, sess.DeviceID,
		strconv.Itoa(in.MaxSessions), string(in.Overflow), strconv.Itoa(len(in.End))}
	args = append(append(args, encIDs(in.End)...), f...)
	a, revs, err := s.ending(ctx, scriptCreate, sess.UserID, in.Now, in.RevokeUntil, args)
	if err != nil {
		return nil, wrap("create session", err)
	}
	switch status, _ := a[0].ToString(); status {
	case "ok":
		ended, err := decodeEndedList(a[1:], revs, in.Now, in.RevokeUntil)
		return ended, wrap("create session", err)
	case "cred":
		return nil, wrap("create session", store.ErrCredentialChanged)
	case "limit":
		return nil, wrap("create session", store.ErrSessionLimit)
	default:
		return nil, fmt.Errorf("redisstore: create session: overflow policy %q: %s", in.Overflow, status)
	}
}

// maxEndingRounds bounds ending's retries: each round appends the
// revocations a concurrent change made necessary. Every round some racer
// finishes (the one whose plan did not move), so N logins of one user
// racing to evict need at most about N rounds; TestThreeNodes races 24.
// After the first round a racer waits a short random time, so the racers
// spread out instead of moving each other's plans in lockstep.
const maxEndingRounds = 64

// ending runs a user-key script that may end sessions. Ending a session
// writes its revocation to the log, which lives on its own slot (a Cluster
// cannot run one script on both), so the order is what keeps a failure
// closed: the script first runs with no revocation in hand; if its plan
// ends sessions it changes nothing and answers {'need', sid...}; their
// revocations are appended to the log; then the script runs again with
// those ids and ends them. A crash or an error between the append and the
// script leaves a session revoked but alive (its access tokens are
// refused everywhere: closed), never ended without its revocation. Two
// nodes that race to end one session append one entry (revoke.lua). If
// the plan moved meanwhile (a concurrent change), the script asks again.
// It returns the script's last answer and the revocations by encoded id.
func (s *Store) ending(ctx context.Context, script *rueidis.Lua, uid string, now, until time.Time, args []string) ([]rueidis.RedisMessage, map[string]store.Revocation, error) {
	revs := map[string]store.Revocation{}
	var revoked []string
	key := []string{s.userKey(uid)}
	for round := range maxEndingRounds {
		if round > 1 {
			if err := backoff(ctx, round); err != nil {
				return nil, nil, err
			}
		}
		a, err := s.exec(ctx, script, key, revoked, args...).ToArray()
		if err != nil {
			return nil, nil, err
		}
		if st, _ := a[0].ToString(); st != "need" {
			return a, revs, nil
		}
		var sids []string
		for _, m := range a[1:] {
			sid, err := m.ToString()
			if err != nil {
				return nil, nil, err
			}
			if _, ok := revs[sid]; !ok {
				sids = append(sids, sid)
			}
		}
		if len(sids) == 0 {
			return nil, nil, errors.New("script asks for revocations it has")
		}
		got, err := s.appendRevocations(ctx, now, until, uid, sids)
		if err == nil && s.afterAppend != nil {
			err = s.afterAppend()
		}
		if err != nil {
			return nil, nil, err
		}
		for i, sid := range sids {
			revs[sid] = got[i]
			revoked = append(revoked, sid)
		}
	}
	return nil, nil, fmt.Errorf("%w: sessions changed under %d attempts to end them", store.ErrUnavailable, maxEndingRounds)
}

// appendRevocations appends one session revocation per encoded sid of uid
// (lua/revoke.lua) and returns them with their ids.
func (s *Store) appendRevocations(ctx context.Context, now, until time.Time, uid string, sids []string) ([]store.Revocation, error) {
	args := []string{"end", micro(now), micro(until)}
	for _, sid := range sids {
		args = append(args, decID(sid), uid, "0")
	}
	ids, err := s.exec(ctx, scriptRevoke, s.logKeys(), nil, args...).AsIntSlice()
	if err != nil {
		return nil, err
	}
	if len(ids) != len(sids) {
		return nil, fmt.Errorf("revoke: %d ids for %d revocations", len(ids), len(sids))
	}
	out := make([]store.Revocation, len(sids))
	for i, sid := range sids {
		out[i] = store.Revocation{ID: ids[i], SessionID: decID(sid), UserID: uid, Until: until, CreatedAt: now}
	}
	return out, nil
}

// RotateRefresh implements store.Sessions in one script (lua/rotate.lua)
// on the user's key; a reuse appends its revocation first (see ending).
func (s *Store) RotateRefresh(ctx context.Context, in store.Rotate) (store.RotateResult, error) {
	a, revs, err := s.ending(ctx, scriptRotate, in.UserID, in.Now, in.RevokeUntil, []string{
		encID(in.UserID), encID(in.SessionID),
		strconv.FormatInt(in.Gen, 10), string(in.PresentedHash), string(in.SuccessorHash),
		micro(in.Now), us(in.Grace), us(in.IdleTimeout), micro(in.Now.Add(in.RefreshTTL)), in.JKT, boolArg(in.RequireBound)})
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
		en, err := decodeEnded(a[2], revs, in.Now, in.RevokeUntil)
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
func (s *Store) Session(ctx context.Context, userID, id string) (store.Session, error) {
	return s.read(ctx, "session", userID, encID(userID), encID(id))
}

// SessionByCookie implements store.Sessions. An empty hash matches nothing.
func (s *Store) SessionByCookie(ctx context.Context, userID, id string, hash []byte) (store.Session, error) {
	if len(hash) == 0 {
		return store.Session{}, wrap("session by cookie", store.ErrNotFound)
	}
	return s.read(ctx, "session by cookie", userID, encID(userID), encID(id), string(hash))
}

func (s *Store) read(ctx context.Context, op, userID string, args ...string) (store.Session, error) {
	m, err := s.exec(ctx, scriptRead, []string{s.userKey(userID)}, nil, args...).ToMessage()
	if rueidis.IsRedisNil(err) || (err == nil && m.IsNil()) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, wrap(op, err)
	}
	sess, err := decodeSession(m)
	return sess, wrap(op, err)
}

// UserSessions implements store.Sessions: the user's sessions, newest
// first (created, then id, descending, as the SQL backends order them).
func (s *Store) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	a, err := s.exec(ctx, scriptList, []string{s.userKey(userID)}, nil, encID(userID)).ToArray()
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
	slices.SortFunc(out, func(a, b store.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// change runs lua/change.lua's op on session id of userID.
func (s *Store) change(ctx context.Context, op, userID, id string, now time.Time, args ...string) (store.Session, error) {
	a, err := s.exec(ctx, scriptChange, []string{s.userKey(userID)}, nil,
		append([]string{encID(userID), encID(id), op, micro(now)}, args...)...).ToArray()
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
func (s *Store) Touch(ctx context.Context, userID, id string, now time.Time) error {
	_, err := s.change(ctx, "touch", userID, id, now)
	return err
}

// Slide implements store.Sessions.
func (s *Store) Slide(ctx context.Context, userID, id string, now time.Time, refreshTTL time.Duration) (store.Session, error) {
	return s.change(ctx, "slide", userID, id, now, micro(now.Add(refreshTTL)))
}

// Reauth implements store.Sessions.
func (s *Store) Reauth(ctx context.Context, userID, id string, gen int64, refreshHash []byte, now time.Time, refreshTTL, idle time.Duration) (store.Session, error) {
	if len(refreshHash) == 0 {
		return store.Session{}, wrap("reauth", errEmptyHash)
	}
	return s.change(ctx, "reauth", userID, id, now, strconv.FormatInt(gen, 10), string(refreshHash),
		micro(now.Add(refreshTTL)), us(idle))
}

// RenewSession implements store.Sessions in one script (lua/renew.lua),
// the old id's revocation appended first (see ending).
func (s *Store) RenewSession(ctx context.Context, in store.RenewSession) (store.Session, store.Ended, error) {
	if len(in.CookieHash) == 0 || len(in.RefreshHash) == 0 || in.NewID == "" {
		return store.Session{}, store.Ended{}, wrap("renew session", errEmptyHash)
	}
	a, revs, err := s.ending(ctx, scriptRenew, in.UserID, in.Now, in.RevokeUntil, []string{
		encID(in.UserID), encID(in.OldID), encID(in.NewID), string(in.CookieHash),
		string(in.RefreshHash), micro(in.Now), us(in.IdleTimeout)})
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
	en, err := decodeEnded(a[2], revs, in.Now, in.RevokeUntil)
	return sess, en, wrap("renew session", err)
}

// backoff sleeps a random time that grows with round, at most 4 ms, or
// until ctx ends (then store.ErrUnavailable: the caller's deadline passed
// while sessions kept changing).
func backoff(ctx context.Context, round int) error {
	d := time.Duration(rand.Int64N(int64(min(round, 16)) * int64(250*time.Microsecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", store.ErrUnavailable, ctx.Err())
	}
}
