package authn

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the use cases. Token verification errors are
// token.ErrInvalid, token.ErrExpired and token.ErrRevoked.
var (
	ErrInvalidInput       = errors.New("invalid request")
	ErrInvalidCredentials = errors.New("invalid username or password")
	ErrUserExists         = errors.New("username taken")
	ErrInvalidRefresh     = errors.New("invalid refresh token")
	ErrReused             = errors.New("refresh token reused; session revoked")
	ErrSessionExpired     = errors.New("session expired")
	ErrReauthRequired     = errors.New("re-authentication required")
	ErrForbidden          = errors.New("forbidden")
	ErrNotFound           = errors.New("not found")
	ErrSessionLimit       = errors.New("session limit reached")
	ErrRateLimited        = errors.New("rate limited")
	ErrBusy               = errors.New("server busy")
	ErrUnavailable        = errors.New("store unavailable")
)

// InputError names the field that was wrong; it wraps ErrInvalidInput.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }
func (e *InputError) Unwrap() error { return ErrInvalidInput }

func invalid(field, format string, a ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// RetryError carries how long to wait; it wraps ErrRateLimited or ErrBusy.
type RetryError struct {
	Err   error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }
