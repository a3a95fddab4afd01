package client

import (
	"errors"
	"fmt"
	"time"
)

// Error is an error answer of the server: API.md's {"error","message"}
// with the status and, for 429 and a busy 503, Retry-After.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
	// Limit is set for 409 session_limit: the live sessions and the
	// one-time challenge that Client.ResolveLogin takes.
	Limit *SessionLimit
}

func (e *Error) Error() string {
	return fmt.Sprintf("gatehouse: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is matches the sentinel of the error's code, so callers write
// errors.Is(err, client.ErrTokenExpired).
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// SessionLimit is what a 409 session_limit carries besides the code.
type SessionLimit struct {
	Sessions           []Session `json:"sessions"`
	LoginChallenge     string    `json:"login_challenge"`
	ChallengeExpiresIn int64     `json:"login_challenge_expires_in"`
}

// Sentinels, one per error code of API.md (docs/api.md, Errors).
var (
	ErrInvalidRequest      = errors.New("gatehouse: invalid_request")
	ErrInvalidCredentials  = errors.New("gatehouse: invalid_credentials")
	ErrInvalidToken        = errors.New("gatehouse: invalid_token")
	ErrTokenExpired        = errors.New("gatehouse: token_expired")
	ErrTokenRevoked        = errors.New("gatehouse: token_revoked")
	ErrInvalidRefreshToken = errors.New("gatehouse: invalid_refresh_token")
	ErrRefreshReused       = errors.New("gatehouse: refresh_token_reused")
	ErrSessionExpired      = errors.New("gatehouse: session_expired")
	ErrReauthRequired      = errors.New("gatehouse: reauth_required")
	ErrInvalidDPoPProof    = errors.New("gatehouse: invalid_dpop_proof")
	ErrUseDPoPNonce        = errors.New("gatehouse: use_dpop_nonce")
	ErrForbidden           = errors.New("gatehouse: forbidden")
	ErrCSRFFailed          = errors.New("gatehouse: csrf_failed")
	ErrNotFound            = errors.New("gatehouse: not_found")
	ErrUserExists          = errors.New("gatehouse: user_exists")
	ErrSessionLimit        = errors.New("gatehouse: session_limit")
	ErrRequestTooLarge     = errors.New("gatehouse: request_too_large")
	ErrRateLimited         = errors.New("gatehouse: rate_limited")
	ErrUnavailable         = errors.New("gatehouse: unavailable")
	ErrInternal            = errors.New("gatehouse: internal_error")
)

// ErrLoggedOut means the session is over: the refresh token was refused
// (invalid_refresh_token, refresh_token_reused or session_expired) or no
// refresh token is held. The store's tokens have been cleared; the
// server's *Error, when there was one, is wrapped too.
var ErrLoggedOut = errors.New("gatehouse: logged out; log in again")

var sentinels = map[string]error{
	"invalid_request":       ErrInvalidRequest,
	"invalid_credentials":   ErrInvalidCredentials,
	"invalid_token":         ErrInvalidToken,
	"token_expired":         ErrTokenExpired,
	"token_revoked":         ErrTokenRevoked,
	"invalid_refresh_token": ErrInvalidRefreshToken,
	"refresh_token_reused":  ErrRefreshReused,
	"session_expired":       ErrSessionExpired,
	"reauth_required":       ErrReauthRequired,
	"invalid_dpop_proof":    ErrInvalidDPoPProof,
	"use_dpop_nonce":        ErrUseDPoPNonce,
	"forbidden":             ErrForbidden,
	"csrf_failed":           ErrCSRFFailed,
	"not_found":             ErrNotFound,
	"user_exists":           ErrUserExists,
	"session_limit":         ErrSessionLimit,
	"request_too_large":     ErrRequestTooLarge,
	"rate_limited":          ErrRateLimited,
	"unavailable":           ErrUnavailable,
	"internal_error":        ErrInternal,
}

// Codes lists every error code this package has a sentinel for.
func Codes() []string {
	out := make([]string, 0, len(sentinels))
	for c := range sentinels {
		out = append(out, c)
	}
	return out
}

// loggedOut reports whether a refresh failure ends the session.
func loggedOut(err error) bool {
	return errors.Is(err, ErrInvalidRefreshToken) || errors.Is(err, ErrRefreshReused) || errors.Is(err, ErrSessionExpired)
}
