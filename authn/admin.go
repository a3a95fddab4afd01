package authn

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/store"
)

func (s *Service) user(ctx context.Context, id string) (store.User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrNotFound
	}
	if err != nil {
		return store.User{}, storeErr(err)
	}
	return u, nil
}

// ForceLogout ends every session of a user at once (admin).
func (s *Service) ForceLogout(ctx context.Context, userID string, c Client) error {
	if _, err := s.user(ctx, userID); err != nil {
		return err
	}
	now := s.Now().UTC()
	ended, err := s.Store.EndUserSessions(ctx, userID, "", "admin", now, s.revokeUntil(now))
	if err != nil {
		return storeErr(err)
	}
	s.ended(ended, c)
	return nil
}

// UserSessions lists a user's live sessions (admin).
func (s *Service) UserSessions(ctx context.Context, userID string) ([]store.Session, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return nil, err
	}
	return s.Sessions(ctx, userID)
}

// SetRoles replaces a user's roles; they reach access tokens at the next
// refresh.
func (s *Service) SetRoles(ctx context.Context, userID string, roles []string) (store.User, error) {
	roles, err := checkRoles(roles)
	if err != nil {
		return store.User{}, err
	}
	if _, err := s.user(ctx, userID); err != nil {
		return store.User{}, err
	}
	u, err := s.Store.SetRoles(ctx, userID, roles, s.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrNotFound
	}
	if err != nil {
		return store.User{}, storeErr(err)
	}
	return u, nil
}

// ListUsers lists accounts (CLI).
func (s *Service) ListUsers(ctx context.Context, limit int) ([]store.User, error) {
	us, err := s.Store.ListUsers(ctx, limit)
	return us, storeErr(err)
}

// UserByName finds an account (CLI).
func (s *Service) UserByName(ctx context.Context, name string) (store.User, error) {
	u, err := s.Store.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrNotFound
	}
	return u, storeErr(err)
}

// ResetPassword sets a new password (admin, CLI) and ends every session of
// the user.
func (s *Service) ResetPassword(ctx context.Context, userID, pw string, c Client) error {
	if err := checkPassword("password", pw); err != nil {
		return err
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, u, pw, "", "password-reset", c)
}
