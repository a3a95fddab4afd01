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
	sess, err := s.Store.Session(ctx, p.SessionID)
	if err != nil || sess.UserID != p.UserID {
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
		if !x.ExpiredAt(now, s.Policy.IdleTimeout) && now.Before(x.RefreshExpiresAt) {
			live = append(live, x)
		}
	}
	return live, nil
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
// user at once; the caller's session continues.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string, c Client) error {
	if err := errors.Join(checkPresentedPassword("current_password", current), checkPassword("new_password", next)); err != nil {
		return err
	}
	if err := s.requireFresh(p); err != nil {
		return err
	}
	if err := s.allow(ctx, "password", p.UserID, c.IP); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, p.UserID)
	if err != nil {
		return notFoundOr(err, ErrForbidden)
	}
	if _, err := s.checkUserPassword(ctx, u, current); err != nil {
		s.chargeIf(ctx, err, "password", p.UserID, c.IP, ErrInvalidCredentials)
		return err
	}
	return s.setPassword(ctx, u, next, p.SessionID, "password", c)
}

// setPassword ends the sessions first: if the store fails between the two
// steps the password is unchanged but no stale login survives, which is the
// safe side.
func (s *Service) setPassword(ctx context.Context, u store.User, next, keep, reason string, c Client) error {
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	ended, err := s.Store.EndUserSessions(ctx, u.ID, keep, reason, now, s.revokeUntil(now))
	if err != nil {
		return storeErr(err)
	}
	s.ended(ended, c)
	if err := s.Store.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
		return storeErr(err)
	}
	actor := ActorUser
	if reason != "password" {
		actor = ActorAdmin
	}
	s.record(EvPasswordChanged, u.ID, keep, c, map[string]string{"actor": actor, "sessions_ended": strconv.Itoa(len(ended))})
	return nil
}
