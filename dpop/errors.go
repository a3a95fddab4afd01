package dpop

import "errors"

// Sentinel errors. Every error Check returns for a bad proof wraps exactly
// one of them (and may add a reason for logs); any other error (a replay
// cache that cannot be reached) is not about the proof.
var (
	// ErrMissing: the request carries no DPoP header.
	ErrMissing = errors.New("dpop: proof missing")
	// ErrInvalid: malformed, bad signature, or not matching the request
	// or the access token.
	ErrInvalid = errors.New("dpop: proof invalid")
	// ErrReplayed: the proof's jti was seen before within the window.
	ErrReplayed = errors.New("dpop: proof replayed")
	// ErrUseNonce: nonces are on and the proof has none or a stale one;
	// the client retries with Nonces.Current (RFC 9449 §8).
	ErrUseNonce = errors.New("dpop: server nonce required")
	// ErrKeyMismatch: the proof is signed by another key than the one
	// the token or session is bound to.
	ErrKeyMismatch = errors.New("dpop: proof key does not match the bound key")
	// ErrReplayFull: a bounded replay cache is full of live entries and
	// refuses new proofs rather than forget one (fail closed). Not a
	// proof error: the request may be retried.
	ErrReplayFull = errors.New("dpop: replay cache full")
)

// IsProofError reports whether err is about the proof itself (API code
// invalid_dpop_proof or use_dpop_nonce) rather than the server.
func IsProofError(err error) bool {
	return errors.Is(err, ErrMissing) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrReplayed) ||
		errors.Is(err, ErrUseNonce) || errors.Is(err, ErrKeyMismatch)
}

// reasonError keeps the sentinel for errors.Is and adds a reason for logs.
type reasonError struct {
	kind   error
	reason string
}

func (e *reasonError) Error() string { return e.kind.Error() + ": " + e.reason }
func (e *reasonError) Unwrap() error { return e.kind }

func invalid(reason string) error { return &reasonError{ErrInvalid, reason} }
