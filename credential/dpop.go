package credential

import (
	"fmt"
	"net/http"
)

// Scheme is the Authorization scheme an access token came under.
type Scheme int

// The schemes of access tokens: RFC 6750 bearer tokens and RFC 9449
// DPoP-bound tokens.
const (
	SchemeBearer Scheme = iota + 1
	SchemeDPoP
)

const dpopScheme = "DPoP"

// AccessToken is Bearer for both schemes an access token may come under:
// "Bearer" and "DPoP" (RFC 9449 §7.1), each in any letter case, with the
// same single spelling (one header field, ASCII spaces, then a token68 of at
// most MaxLength bytes: the b64token charset). present is false, and err
// nil, without an Authorization header; any other scheme is ErrMalformed.
func AccessToken(h http.Header) (tok string, scheme Scheme, present bool, err error) {
	vs := h.Values("Authorization")
	switch len(vs) {
	case 0:
		return "", 0, false, nil
	case 1:
	default:
		return "", 0, true, fmt.Errorf("%w: %d Authorization headers", ErrMalformed, len(vs))
	}
	v := vs[0]
	if len(v) > len(dpopScheme) && asciiEqualFold(v[:len(dpopScheme)], dpopScheme) && v[len(dpopScheme)] == ' ' {
		tok, err = schemeValue(v, dpopScheme)
		return tok, SchemeDPoP, true, err
	}
	tok, err = bearerValue(v)
	return tok, SchemeBearer, true, err
}

// schemeValue is bearerValue for another scheme name (v starts with it).
func schemeValue(v, scheme string) (string, error) {
	rest := v[len(scheme):]
	tok := trimSpaces(rest)
	switch {
	case len(tok) == len(rest):
		return "", fmt.Errorf("%w: %s must be followed by a space", ErrMalformed, scheme)
	case len(tok) > MaxLength:
		return "", fmt.Errorf("%w: the %s token is longer than %d bytes", ErrMalformed, scheme, MaxLength)
	case !isB64Token(tok):
		return "", fmt.Errorf("%w: the %s token has characters outside token68", ErrMalformed, scheme)
	}
	return tok, nil
}

func trimSpaces(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// DPoPProofs returns every value of the request's DPoP header, as they
// are: the proof checker refuses none or more than one.
func DPoPProofs(h http.Header) []string { return h.Values("DPoP") }
