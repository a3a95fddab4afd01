package authn

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/google/uuid"
)

// Client is what the transport knows about the caller.
type Client struct {
	IP        string
	UserAgent string
}

// Signup creates an account.
func (s *Service) Signup(ctx context.Context, username, pw string, c Client) (store.User, error) {
	if !s.Policy.Signup {
		return store.User{}, ErrForbidden
	}
	username, uerr := mapUsername(username)
	if err := errors.Join(uerr, checkPassword("password", pw)); err != nil {
		return store.User{}, err
	}
	if err := s.allow(ctx, "signup", "", c.IP); err != nil {
		return store.User{}, err
	}
	u, err := s.createUser(ctx, username, pw, nil)
	s.chargeIf(ctx, err, "signup", "", c.IP, ErrUserExists) // probing for taken names
	result := "ok"
	switch {
	case errors.Is(err, ErrUserExists):
		result = "exists"
	case err != nil:
		result = "error"
	}
	s.Metrics.Signups.WithLabelValues(result).Inc()
	return u, err
}

// CreateUser adds an account (CLI and admin); no signup switch, no limits.
func (s *Service) CreateUser(ctx context.Context, username, pw string, roles []string) (store.User, error) {
	username, uerr := mapUsername(username)
	if err := errors.Join(uerr, checkPassword("password", pw)); err != nil {
		return store.User{}, err
	}
	roles, err := checkRoles(roles)
	if err != nil {
		return store.User{}, err
	}
	return s.createUser(ctx, username, pw, roles)
}

func (s *Service) createUser(ctx context.Context, username, pw string, roles []string) (store.User, error) {
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return store.User{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return store.User{}, storeErr(err)
	}
	now := s.Now().UTC()
	if roles == nil {
		roles = []string{}
	}
	u := store.User{ID: id.String(), Username: username, PasswordHash: hash, Roles: roles, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrUserExists) {
			return store.User{}, ErrUserExists
		}
		return store.User{}, storeErr(err)
	}
	s.Log.Info("user created", "event", "user.created", "user_id", u.ID)
	return u, nil
}

// checkPassword verifies pw for the named user; unknown users spend the same
// hashing work and get the same error, so neither answer nor timing tells
// which usernames exist.
func (s *Service) checkCredentials(ctx context.Context, username, pw string) (store.User, error) {
	u, err := s.Store.UserByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		for _, form := range presentedForms(pw) {
			if err := s.Hasher.VerifyDummy(ctx, []byte(form)); err != nil {
				return store.User{}, s.hashErr(err)
			}
		}
		return store.User{}, ErrInvalidCredentials
	}
	if err != nil {
		return store.User{}, storeErr(err)
	}
	if _, err := s.checkUserPassword(ctx, u, pw); err != nil {
		return store.User{ID: u.ID}, err // the id only for the audit trail
	}
	return u, nil
}

// checkUserPassword verifies pw in each of its presentedForms; a hash of
// the bytes as typed, from before passwords were normalized, is replaced by
// one of the normal form (as is one with outdated parameters).
func (s *Service) checkUserPassword(ctx context.Context, u store.User, pw string) (store.User, error) {
	forms := presentedForms(pw)
	for i, form := range forms {
		ok, err := s.Hasher.Verify(ctx, []byte(form), u.PasswordHash)
		if err != nil {
			return store.User{}, s.hashErr(err)
		}
		if ok {
			if i > 0 || s.Hasher.NeedsRehash(u.PasswordHash) {
				s.rehash(ctx, u, forms[0])
			}
			return u, nil
		}
	}
	return store.User{}, ErrInvalidCredentials
}

// rehash upgrades a stored hash to the configured parameters; failure only
// means it is tried again at the next login.
func (s *Service) rehash(ctx context.Context, u store.User, pw string) {
	hash, err := s.Hasher.Hash(ctx, []byte(pw))
	if err == nil {
		err = s.Store.SetPasswordHash(ctx, u.ID, hash, s.Now())
	}
	if err != nil {
		s.Log.Warn("password rehash failed", "user_id", u.ID, "err", err)
	}
}

// LoginInput is a password login.
type LoginInput struct {
	Username, Password, DeviceID string
	Client                       Client
	// CookieHash, for browser mode, is the hash of the session cookie secret.
	CookieHash []byte
}

// Login checks the password and starts a session on the device.
func (s *Service) Login(ctx context.Context, in LoginInput) (TokenPair, error) {
	pair, err := s.login(ctx, in)
	s.Metrics.Logins.WithLabelValues(loginResult(err)).Inc()
	return pair, err
}

func loginResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrInvalidCredentials):
		return "invalid_credentials"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrSessionLimit):
		return "session_limit"
	case errors.Is(err, ErrInvalidInput):
		return "invalid_request"
	case errors.Is(err, ErrBusy):
		return "busy"
	default:
		return "error"
	}
}

func (s *Service) login(ctx context.Context, in LoginInput) (TokenPair, error) {
	if err := errors.Join(checkLoginUsername(in.Username), checkPresentedPassword("password", in.Password)); err != nil {
		return TokenPair{}, err
	}
	if err := s.allow(ctx, "login", in.Username, in.Client.IP); err != nil {
		return TokenPair{}, err
	}
	u, err := s.checkCredentials(ctx, in.Username, in.Password)
	s.chargeIf(ctx, err, "login", in.Username, in.Client.IP, ErrInvalidCredentials)
	if errors.Is(err, ErrInvalidCredentials) && u.ID != "" {
		s.record(EvLoginFailed, u.ID, "", in.Client, nil)
	}
	if err != nil {
		return TokenPair{}, err
	}
	return s.startSession(ctx, u, in, nil)
}

// startSession creates the session (replacing the device's previous one and
// applying the limit in the same atomic operation) and mints its tokens.
func (s *Service) startSession(ctx context.Context, u store.User, in LoginInput, end []string) (TokenPair, error) {
	now := s.Now().UTC()
	device, replace, err := s.deviceFor(ctx, u.ID, in.DeviceID, now)
	if err != nil {
		return TokenPair{}, err
	}
	sid, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	refresh, err := newRefresh()
	if err != nil {
		return TokenPair{}, err
	}
	sess := store.Session{
		ID: sid.String(), UserID: u.ID, DeviceID: device,
		CreatedAt: now, LastSeenAt: now, AuthTime: now, RotatedAt: now, RefreshGen: 1,
		ExpiresAt:        now.Add(s.Policy.SessionLifetime),
		RefreshExpiresAt: minTime(now.Add(s.Policy.RefreshTTL), now.Add(s.Policy.SessionLifetime)),
		IP:               clip(in.Client.IP, 64), UserAgent: clip(in.Client.UserAgent, maxUserAgent),
		CookieHash: in.CookieHash,
	}
	ended, err := s.Store.CreateSession(ctx, store.CreateSession{
		Session: sess, RefreshHash: hashRefresh(refresh), ReplaceDevice: replace,
		MaxSessions: s.maxSessions(u), Overflow: s.Policy.Overflow, IdleTimeout: s.Policy.IdleTimeout,
		Now: now, RevokeUntil: s.revokeUntil(now), End: end,
	})
	if errors.Is(err, store.ErrSessionLimit) {
		return TokenPair{}, s.limitReached(ctx, u, in)
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	s.ended(ended, in.Client)
	s.record(EvSessionCreated, u.ID, sess.ID, in.Client, map[string]string{"device_id": device, "new_device": boolString(!replace)})
	return s.pair(u, sess, refresh, now)
}

// deviceFor keeps a presented device id only if this user has a live session
// on it; any other id (another user's, unknown, malformed) is replaced by a
// new one, so a device id never affects anyone else.
func (s *Service) deviceFor(ctx context.Context, userID, presented string, now time.Time) (string, bool, error) {
	if !validDeviceID(presented) {
		return newDeviceID(), false, nil
	}
	sessions, err := s.Store.UserSessions(ctx, userID)
	if err != nil {
		return "", false, storeErr(err)
	}
	for _, x := range sessions {
		if x.DeviceID == presented && !x.ExpiredAt(now, s.Policy.IdleTimeout) {
			return presented, true, nil
		}
	}
	return newDeviceID(), false, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func itoa(n int) string { return strconv.Itoa(n) }

// DeleteAccount ends every session of the caller and removes the user. It
// needs a fresh auth_time.
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, c Client) error {
	if err := s.requireFresh(p); err != nil {
		return err
	}
	now := s.Now().UTC()
	ended, err := s.Store.EndUserSessions(ctx, p.UserID, "", "account-deleted", now, s.revokeUntil(now))
	if err != nil {
		return storeErr(err)
	}
	s.ended(ended, c)
	// Tokens minted elsewhere for sessions we did not see still die: every
	// token of this user issued until now is refused.
	r, err := s.Store.AddRevocation(ctx, store.Revocation{UserID: p.UserID, NotBefore: now.Add(time.Second), Until: s.revokeUntil(now), CreatedAt: now})
	if err != nil {
		return storeErr(err)
	}
	s.Revoked.Add(r)
	if err := s.Store.DeleteUser(ctx, p.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return storeErr(err)
	}
	s.record(EvUserDeleted, p.UserID, "", c, map[string]string{"sessions_ended": itoa(len(ended))})
	return nil
}
