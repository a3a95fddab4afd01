package credential

import (
	"fmt"
	"net/http"
	"strings"
)

// Bearer returns the token of the request's Authorization header (RFC 6750
// §2.1). present is false, and err nil, when there is no Authorization
// header at all. Otherwise exactly one spelling is accepted: one header
// field, the scheme "Bearer" in any letter case, one or more ASCII spaces
// (0x20), then a b64token of at most MaxLength bytes and nothing else.
// Anything else — a second header, another scheme, a tab, Unicode white
// space around the token, an empty token — is ErrMalformed with present
// true: a request that tried to present a credential and got it wrong must
// be refused, never treated as anonymous or normalised into acceptance.
func Bearer(h http.Header) (tok string, present bool, err error) {
	vs := h.Values("Authorization")
	switch len(vs) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", true, fmt.Errorf("%w: %d Authorization headers", ErrMalformed, len(vs))
	}
	tok, err = bearerValue(vs[0])
	return tok, true, err
}

const bearerScheme = "Bearer"

func bearerValue(v string) (string, error) {
	if len(v) <= len(bearerScheme) || !asciiEqualFold(v[:len(bearerScheme)], bearerScheme) {
		return "", fmt.Errorf("%w: the Authorization scheme is not Bearer", ErrMalformed)
	}
	rest := v[len(bearerScheme):]
	tok := strings.TrimLeft(rest, " ")
	if len(tok) == len(rest) {
		return "", fmt.Errorf("%w: Bearer must be followed by a space", ErrMalformed)
	}
	if len(tok) > MaxLength {
		return "", fmt.Errorf("%w: the bearer token is longer than %d bytes", ErrMalformed, MaxLength)
	}
	if !isB64Token(tok) {
		return "", fmt.Errorf("%w: the bearer token has characters outside RFC 6750's b64token", ErrMalformed)
	}
	return tok, nil
}

// asciiEqualFold is strings.EqualFold for ASCII only: Unicode case folding
// would let the Kelvin sign stand for "k" in some future scheme name.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
