package authn

import (
	"context"
	"errors"
	"strconv"

	"github.com/gatehouse/gatehouse/store"
)

// Me returns the caller's user and session.
func (s *Service) Me(ctx context.Context, p *Principal) (store.User, store.Session, error) {
	u, err := s.Store.UserByID(ctx, p.UserID)
	if err != nil {
		return store.User{}, store.Session{}, notFoundOr(err, ErrForbidden)
	}
	sess, err := s.Store.Session(ctx, p.UserID, p.SessionID)
	if err != nil {
		// The session ended after the token was minted on another node and
		// its revocation has not reached us: treat as revoked.
		return store.User{}, store.Session{}, notFoundOr(err, ErrSessionExpired)
	}
	return u, sess, nil
}

func notFoundOr(err, instead error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return instead
	}
	return storeErr(err)
}

// Sessions lists the caller's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]store.Session, error) {
	all, err := s.Store.UserSessions(ctx, userID)
	if err != nil {
		return nil, storeErr(err)
	}
	now := s.Now()
	live := all[:0]
	for _, x := range all {
		if x.Live(now, s.Policy.IdleTimeout) {
			live = append(live, x)
		}
	}
	return live, nil
}

// SessionPage is one page of a user's live sessions, newest first.
type SessionPage struct {
	Sessions []store.Session
	Next     string // pass as after for the next page; empty at the end
}

// MaxSessionPage caps a page of GET /v1/sessions.
const MaxSessionPage = 1000

// SessionsPage lists at most limit (1..MaxSessionPage; 0: 100) of the
// caller's live sessions, newest first, after the session id after (empty:
// from the newest). An after that is not one of the user's live sessions is
// ErrInvalidInput: the caller's cursor went stale.
func (s *Service) SessionsPage(ctx context.Context, userID, after string, limit int) (SessionPage, error) {
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > MaxSessionPage {
		return SessionPage{}, invalid("limit", "must be 1 to %d", MaxSessionPage)
	}
	live, err := s.Sessions(ctx, userID)
	if err != nil {
		return SessionPage{}, err
	}
	start := 0
	if after != "" {
		start = -1
		for i, x := range live {
			if x.ID == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return SessionPage{}, invalid("after", "is not one of your sessions (it may have ended): list from the start")
		}
	}
	page := SessionPage{Sessions: live[start:min(len(live), start+limit)]}
	if start+limit < len(live) {
		page.Next = page.Sessions[len(page.Sessions)-1].ID
	}
	return page, nil
}

// Scope of a logout.
type Scope string

const (
	ScopeLocal  Scope = "local"
	ScopeOthers Scope = "others"
	ScopeGlobal Scope = "global"
)

// Logout ends the caller's session (local), every other one (others), or
// all of them (global). Others and global are sensitive: they need a fresh
// auth_time, so a stolen token cannot lock the owner out.
func (s *Service) Logout(ctx context.Context, p *Principal, scope Scope, c Client) error {
	now := s.Now().UTC()
	var ended []store.Ended
	var err error
	switch scope {
	case ScopeLocal, "":
		ended, err = s.Store.EndSessions(ctx, p.UserID, []string{p.SessionID}, "local", now, s.revokeUntil(now))
		if errors.Is(err, store.ErrNotFound) {
			err = nil // already gone: logout is idempotent
		}
	case ScopeOthers, ScopeGlobal:
		if err := s.requireFresh(p); err != nil {
			return err
		}
		keep := p.SessionID
		if scope == ScopeGlobal {
			keep = ""
		}
		ended, err = s.Store.EndUserSessions(ctx, p.UserID, keep, string(scope), now, s.revokeUntil(now))
	default:
		return invalid("scope", "must be local, others or global")
	}
	if err != nil {
		return storeErr(err)
	}
	s.ended(ended, c)
	if scope == ScopeLocal || scope == "" {
		// Even if the row was already gone, the caller's own token must die now.
		s.revokeCaller(ctx, p)
	}
	return nil
}

// revokeCaller makes sure the caller's session id is in the revocation set
// even when the store had nothing left to end.
func (s *Service) revokeCaller(ctx context.Context, p *Principal) {
	if s.Revoked.Revoked(p.SessionID, p.UserID, p.IssuedAt) {
		return
	}
	now := s.Now().UTC()
	r, err := s.Store.AddRevocation(ctx, store.Revocation{SessionID: p.SessionID, UserID: p.UserID, Until: s.revokeUntil(now), CreatedAt: now})
	if err != nil {
		s.Log.Warn("revocation not stored", "session_id", p.SessionID, "err", err)
		return
	}
	s.Revoked.Add(r)
}

// EndSession ends one of the caller's sessions. Ending the caller's own is a
// local logout; ending another needs a fresh auth_time. A session that is
// not the caller's is ErrNotFound.
func (s *Service) EndSession(ctx context.Context, p *Principal, id string, c Client) error {
	if id == p.SessionID {
		return s.Logout(ctx, p, ScopeLocal, c)
	}
	if err := s.requireFresh(p); err != nil {
		return err
	}
	now := s.Now().UTC()
	ended, err := s.Store.EndSessions(ctx, p.UserID, []string{id}, "deleted", now, s.revokeUntil(now))
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return storeErr(err)
	}
	if len(ended) == 0 {
		return ErrNotFound
	}
	s.ended(ended, c)
	return nil
}

// ChangePassword replaces the password and ends every other session of the
// user at once; the caller's session continues. Presenting the current
// password is itself a fresh authentication, so no step-up is needed;
// wrong guesses count with the device's login attempts.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string, c Client) error {
	if err := errors.Join(checkPresentedPassword("current_password", current), checkPassword("new_password", next)); err != nil {
		return err
	}
	u, sess, err := s.Me(ctx, p)
	if err != nil {
		return err
	}
	if err := s.verifyWithLimit(ctx, u, sess.DeviceID, current, c); err != nil {
		return err
	}
	return s.setPassword(ctx, u, next, p.SessionID, "password", c)
}

// setPassword stores the new hash, bumps the credential version and ends
// every session but keep in one store operation, so a login that checked
// the old password before the change cannot create a session after it.
func (s *Service) setPassword(ctx context.Context, u store.User, next, keep, reason string, c Client) error {
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	_, ended, err := s.Store.SetPassword(ctx, store.SetPassword{
		UserID: u.ID, Hash: hash, Keep: keep, Reason: reason, Now: now, RevokeUntil: s.revokeUntil(now),
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return storeErr(err)
	}
	s.ended(ended, c)
	actor := ActorUser
	if reason != "password" {
		actor = ActorAdmin
	}
	s.record(EvPasswordChanged, u.ID, keep, c, map[string]string{"actor": actor, "sessions_ended": strconv.Itoa(len(ended))})
	return nil
}
