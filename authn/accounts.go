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
	// Every signup costs an argon2 hash, taken name or not: each one counts
	// against the client's address, so signups cannot starve logins.
	if _, err := s.reserve(ctx, s.ipBuckets("signup", c.IP)); err != nil {
		return store.User{}, err
	}
	u, err := s.createUser(ctx, username, pw, nil)
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

// verifyWithLimit checks pw for u (u.ID empty: no such account, named
// u.Username) from device, within the rate limits: the buckets are reserved
// first and given back when the password is right (or the hasher was too
// busy to tell). Unknown users spend the same hashing work, on the same
// presented forms, and get the same answer, so neither answer nor timing
// tells which usernames exist.
func (s *Service) verifyWithLimit(ctx context.Context, u store.User, device, pw string, c Client) error {
	release, err := s.reserve(ctx, s.passwordBuckets(u.Username, u.ID, device, c.IP))
	if err != nil {
		return err
	}
	if u.ID == "" {
		err = ErrInvalidCredentials
		for _, form := range presentedForms(pw) {
			if herr := s.Hasher.VerifyDummy(ctx, []byte(form)); herr != nil {
				err = s.hashErr(herr)
				break
			}
		}
	} else {
		err = s.checkUserPassword(ctx, u, pw)
	}
	release(err == nil || errors.Is(err, ErrBusy))
	if errors.Is(err, ErrInvalidCredentials) && u.ID != "" {
		s.record(EvLoginFailed, u.ID, "", c, nil)
	}
	return err
}

// checkUserPassword verifies pw in each of its presentedForms; a hash of
// the bytes as typed, from before passwords were normalized, is replaced by
// one of the normal form (as is one with outdated parameters).
func (s *Service) checkUserPassword(ctx context.Context, u store.User, pw string) error {
	forms := presentedForms(pw)
	for i, form := range forms {
		ok, err := s.Hasher.Verify(ctx, []byte(form), u.PasswordHash)
		if err != nil {
			return s.hashErr(err)
		}
		if ok {
			if i > 0 || s.Hasher.NeedsRehash(u.PasswordHash) {
				s.rehash(ctx, u, forms[0])
			}
			return nil
		}
	}
	return ErrInvalidCredentials
}

// rehash upgrades a stored hash to the configured parameters; failure only
// means it is tried again at the next login.
func (s *Service) rehash(ctx context.Context, u store.User, pw string) {
	hash, err := s.Hasher.Hash(ctx, []byte(pw))
	if err == nil {
		err = s.Store.SetPasswordHash(ctx, u.ID, hash, u.CredVersion, s.Now())
	}
	if err != nil && !errors.Is(err, store.ErrCredentialChanged) {
		s.Log.Warn("password rehash failed", "user_id", u.ID, "err", err)
	}
}

// LoginInput is a password login.
type LoginInput struct {
	Username, Password, DeviceID string
	Client                       Client
	// Delivery is how the client gets its credentials.
	Delivery Delivery
	// JKT is the thumbprint of the key of the DPoP proof that came with
	// the login (checked by the caller): the session is bound to it.
	JKT string
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
	if err := s.checkBinding(in); err != nil {
		return TokenPair{}, err
	}
	u, err := s.Store.UserByName(ctx, in.Username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = store.User{Username: in.Username}
	case err != nil:
		return TokenPair{}, storeErr(err)
	}
	if err := s.verifyWithLimit(ctx, u, in.DeviceID, in.Password, in.Client); err != nil {
		return TokenPair{}, err
	}
	return s.startSession(ctx, u, u.CredVersion, in, nil)
}

// startSession creates the session (replacing the device's previous one and
// applying the limit in the same atomic operation, which also checks that
// the password checked at credVersion is still the user's) and mints its
// tokens.
func (s *Service) startSession(ctx context.Context, u store.User, credVersion int64, in LoginInput, end []string) (TokenPair, error) {
	if err := s.checkBinding(in); err != nil {
		return TokenPair{}, err
	}
	now := s.Now().UTC()
	// A device id this user was given before is kept (and replaces its live
	// session, if any); anything else gets a new id bound to the user.
	device, known := in.DeviceID, s.knownDevice(u.ID, in.DeviceID)
	if !known {
		device = s.newDeviceID(u.ID)
	}
	sid, err := uuid.NewV7()
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	sess := store.Session{
		ID: sid.String(), UserID: u.ID, DeviceID: device, Username: u.Username, Roles: roles,
		CreatedAt: now, LastSeenAt: now, AuthTime: now, RotatedAt: now, RefreshGen: 1,
		ExpiresAt:        now.Add(s.Policy.SessionLifetime),
		RefreshExpiresAt: minTime(now.Add(s.Policy.RefreshTTL), now.Add(s.Policy.SessionLifetime)),
		IP:               clip(in.Client.IP, 64), UserAgent: clip(in.Client.UserAgent, maxUserAgent),
		JKT: in.JKT,
	}
	refresh, err := s.newRefresh(sess, 1)
	if err != nil {
		return TokenPair{}, err
	}
	sess.RefreshHash = hashRefresh(refresh)
	var cookie string
	if in.Delivery == DeliveryCookie {
		// A new secret at every login: a cookie value sent before the login
		// is never promoted (no fixation).
		if cookie, err = newCookieSecret(sess.UserID, sess.ID); err != nil {
			return TokenPair{}, storeErr(err)
		}
		sess.CookieHash = hashCookie(cookie)
	}
	ended, err := s.Store.CreateSession(ctx, store.CreateSession{
		Session: sess, CredVersion: credVersion, ReplaceDevice: known,
		MaxSessions: s.maxSessions(u), Overflow: s.Policy.Overflow, IdleTimeout: s.Policy.IdleTimeout,
		Now: now, RevokeUntil: s.revokeUntil(now), End: end,
	})
	switch {
	case errors.Is(err, store.ErrSessionLimit):
		return TokenPair{}, s.limitReached(ctx, u, in)
	case errors.Is(err, store.ErrCredentialChanged):
		// The password changed (or the account went) while this login
		// checked the old one: it must not outlive the change.
		return TokenPair{}, ErrInvalidCredentials
	case err != nil:
		return TokenPair{}, storeErr(err)
	}
	s.ended(ended, in.Client)
	s.record(EvSessionCreated, u.ID, sess.ID, in.Client, map[string]string{"device_id": device, "new_device": boolString(!known), "delivery": deliveryName(in.Delivery)})
	pair, err := s.pair(sess, refresh, now)
	if err != nil {
		return TokenPair{}, err
	}
	switch in.Delivery {
	case DeliveryCookie:
		pair.CookieSecret, pair.CSRFToken = cookie, s.CSRFToken(cookie)
	case DeliveryJWTCookie:
		pair.CSRFToken = s.sessionCSRF(sess.ID)
	}
	return pair, nil
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

func deliveryName(d Delivery) string {
	if d == DeliveryBearer {
		return "bearer"
	}
	return string(d)
}
