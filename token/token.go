package token

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is one usable key. Verify-only keys (fetched from a JWKS) have a nil
// Sign.
type Key struct {
	ID     string // kid
	Alg    string // "EdDSA", "ES256", "RS256" or "HS256"
	Method jwt.SigningMethod
	// Sign is ed25519.PrivateKey, *ecdsa.PrivateKey, *rsa.PrivateKey or
	// []byte (HS256); nil for verify-only keys.
	Sign any
	// Verify is ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey or
	// []byte (HS256).
	Verify any
}

// KeySource finds the key a token names by its kid.
type KeySource interface {
	Lookup(kid string) (*Key, bool)
}

// Claims are the claims of a Gatehouse access token.
//
// On the wire: iss, sub, aud, jti, sid, preferred_username are strings;
// exp, iat, nbf, auth_time are NumericDates (Mint writes integer seconds);
// roles is an array of strings, [] when there are none.
type Claims struct {
	Issuer    string // iss
	Subject   string // sub: the user id
	Audience  string // aud
	ID        string // jti
	SessionID string // sid
	Username  string // preferred_username (optional)

	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf (optional; zero when absent)
	AuthTime  time.Time // auth_time (optional; zero when absent)

	Roles []string // roles; never nil after Verify

	// JKT is cnf.jkt: the RFC 7638 thumbprint of the DPoP key the token
	// is bound to (RFC 9449 §6.1), "" for a bearer token. Verify only
	// reads it; presenting a bound token needs a proof by that key, which
	// the caller checks (package dpop) on every use, cached or not.
	JKT string
}

// Sentinel errors. Every error Verify returns wraps exactly one of them.
var (
	ErrInvalid = errors.New("token: invalid")
	ErrExpired = errors.New("token: expired")
	ErrRevoked = errors.New("token: revoked")
)

// reasonError keeps the sentinel for errors.Is and adds a short reason for
// logs. The reasons are package-level values, so rejecting a hostile token
// allocates nothing for its error.
type reasonError struct {
	kind   error
	reason string
}

func (e *reasonError) Error() string { return e.kind.Error() + ": " + e.reason }
func (e *reasonError) Unwrap() error { return e.kind }

func invalid(reason string) error { return &reasonError{ErrInvalid, reason} }

// The algorithms Gatehouse signs with, and the only jwt.SigningMethod each
// may use: a KeySource cannot smuggle in "none", PS256 or HS512.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgHS256 = "HS256"
)

// MethodFor returns the signing method of alg, or nil if Gatehouse does not
// support alg.
func MethodFor(alg string) jwt.SigningMethod {
	switch alg {
	case AlgEdDSA:
		return jwt.SigningMethodEdDSA
	case AlgES256:
		return jwt.SigningMethodES256
	case AlgRS256:
		return jwt.SigningMethodRS256
	case AlgHS256:
		return jwt.SigningMethodHS256
	}
	return nil
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates are surely forged or
// broken, and refusing them keeps time arithmetic far from overflow.
const maxNumericDate = 253402300799
