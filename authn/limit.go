package authn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/google/uuid"
)

// ChallengeTTL is how long a login refused at the session limit may be
// completed with POST /v1/login/resolve.
const ChallengeTTL = 2 * time.Minute

// LimitError is ErrSessionLimit with what the client needs to resolve it:
// the user's live sessions and a one-time challenge. It is only returned
// after the password was checked, so it reveals nothing to a guesser.
type LimitError struct {
	Sessions  []store.Session
	Challenge string
	ExpiresIn time.Duration
}

func (e *LimitError) Error() string { return ErrSessionLimit.Error() }
func (e *LimitError) Unwrap() error { return ErrSessionLimit }

// maxSessions is the user's limit: the smallest role limit among the
// user's roles, else the global one.
func (s *Service) maxSessions(u store.User) int {
	limit, found := s.Policy.MaxSessions, false
	for _, r := range u.Roles {
		if n, ok := s.Policy.RoleLimits[r]; ok && (!found || n < limit) {
			limit, found = n, true
		}
	}
	return limit
}

// limitReached issues a login challenge bound to the user who passed the
// password check, and lists their live sessions.
func (s *Service) limitReached(ctx context.Context, u store.User, in LoginInput) error {
	live, err := s.Sessions(ctx, u.ID)
	if err != nil {
		return err
	}
	secret, err := newChallenge(u.ID)
	if err != nil {
		return storeErr(err)
	}
	now := s.Now().UTC()
	err = s.Store.AddChallenge(ctx, store.Challenge{
		Hash: hashRefresh(secret), UserID: u.ID, DeviceID: in.DeviceID, CredVersion: u.CredVersion,
		IP: clip(in.Client.IP, 64), UserAgent: clip(in.Client.UserAgent, maxUserAgent),
		ExpiresAt: now.Add(ChallengeTTL),
	})
	if err != nil {
		return storeErr(err)
	}
	s.record(EvLoginLimited, u.ID, "", in.Client, map[string]string{"limit": itoa(s.maxSessions(u))})
	return &LimitError{Sessions: live, Challenge: secret, ExpiresIn: ChallengeTTL}
}

// A login challenge is base64url(32 random bytes ‖ user id as 16 UUID
// bytes): the user id finds the challenge (its user's slot on a Redis
// Cluster) and the store holds the hash of the whole value.
const challengeRawLen = 32 + 16

func newChallenge(uid string) (string, error) {
	u, err := uuid.Parse(uid)
	if err != nil {
		return "", fmt.Errorf("login challenge: user id: %w", err)
	}
	b := make([]byte, 32, challengeRawLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(append(b, u[:]...)), nil
}

// challengeUser reads the user id of a challenge of our shape.
func challengeUser(v string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) != challengeRawLen || base64.RawURLEncoding.EncodeToString(b) != v {
		return "", false
	}
	return uuid.UUID(b[32:]).String(), true
}

// ErrChallenge: the login challenge is unknown, spent or expired.
var ErrChallenge = errors.New("login challenge unknown, expired or already used; log in again")

// ResolveLogin completes a login refused at the limit: it spends the
// challenge (once, atomically), ends the chosen session and starts the new
// one in one store operation.
//
// jkt is the key of the DPoP proof sent with the resolve request ("" for
// none): the new session is bound to it, as at login.
func (s *Service) ResolveLogin(ctx context.Context, challenge, endSessionID string, d Delivery, jkt string, c Client) (TokenPair, error) {
	if err := s.checkBinding(LoginInput{Delivery: d, JKT: jkt}); err != nil {
		return TokenPair{}, err
	}
	if challenge == "" || len(challenge) > 128 {
		return TokenPair{}, invalid("login_challenge", "is required")
	}
	if endSessionID == "" || len(endSessionID) > 128 {
		return TokenPair{}, invalid("end_session_id", "is required")
	}
	uid, ok := challengeUser(challenge)
	if !ok {
		return TokenPair{}, ErrChallenge
	}
	ch, err := s.Store.ConsumeChallenge(ctx, uid, hashRefresh(challenge), s.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return TokenPair{}, ErrChallenge
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	u, err := s.Store.UserByID(ctx, ch.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.CredVersion != ch.CredVersion) {
		return TokenPair{}, ErrChallenge // the password changed since the challenge was issued
	}
	if err != nil {
		return TokenPair{}, storeErr(err)
	}
	if !s.ownsLiveSession(ctx, u.ID, endSessionID) {
		return TokenPair{}, ErrNotFound
	}
	in := LoginInput{DeviceID: ch.DeviceID, Client: Client{IP: ch.IP, UserAgent: ch.UserAgent}, Delivery: d, JKT: jkt}
	if c.IP != "" {
		in.Client = c
	}
	pair, err := s.startSession(ctx, u, ch.CredVersion, in, []string{endSessionID})
	if errors.Is(err, ErrInvalidCredentials) {
		err = ErrChallenge
	}
	s.Metrics.Logins.WithLabelValues(loginResult(err)).Inc()
	return pair, err
}

func (s *Service) ownsLiveSession(ctx context.Context, userID, id string) bool {
	live, err := s.Sessions(ctx, userID)
	if err != nil {
		return false
	}
	for _, x := range live {
		if x.ID == id {
			return true
		}
	}
	return false
}
