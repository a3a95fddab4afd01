package store

import "errors"

// Sentinel errors returned (wrapped) by every backend; test with errors.Is.
var (
	// ErrNotFound: no such user, session, refresh token, key or event.
	ErrNotFound = errors.New("store: not found")
	// ErrUserExists: a user with that username (same NormalizeUsername key)
	// or a look-alike of it (same UsernameSkeleton) exists.
	ErrUserExists = errors.New("store: user exists")
	// ErrSessionExpired: the session's idle timeout or absolute lifetime passed.
	ErrSessionExpired = errors.New("store: session expired")
	// ErrRefreshExpired: the refresh token's own (sliding) lifetime passed.
	ErrRefreshExpired = errors.New("store: refresh token expired")
	// ErrReused: a spent refresh token was presented outside the grace window;
	// the session has been revoked by the same operation.
	ErrReused = errors.New("store: refresh token reused")
	// ErrSessionLimit: the user is at the session limit and the policy is reject.
	ErrSessionLimit = errors.New("store: session limit reached")
	// ErrCredentialChanged: the user's password changed (or the user was
	// deleted) since the caller checked it; nothing was written.
	ErrCredentialChanged = errors.New("store: credentials changed")
	// ErrConflict: the record changed since the caller read it (a concurrent
	// rotation); read it again and retry.
	ErrConflict = errors.New("store: changed concurrently")
	// ErrKeyMismatch: a DPoP-bound session's refresh token came without a
	// proof by the session's key; nothing was changed (not reuse).
	ErrKeyMismatch = errors.New("store: DPoP key does not match the session's")
	// ErrUnbound: --dpop required and the session is not bound to a key;
	// nothing was changed.
	ErrUnbound = errors.New("store: session not bound to a DPoP key")
	// ErrUnavailable: the backend cannot be reached; nothing was changed.
	ErrUnavailable = errors.New("store: unavailable")
)
