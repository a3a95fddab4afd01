package credential

import "errors"

// ErrMalformed is every refusal of this package: a credential or form that
// is present but not in its one accepted spelling. Servers answer it with
// 401 invalid_token for credentials and 400 invalid_request for forms.
var ErrMalformed = errors.New("credential: malformed")

// MaxLength caps a token or cookie value. It is the access token's own cap
// (token.MaxTokenLength), so nothing longer can ever be a valid credential
// and no parser downstream sees an unbounded string.
const MaxLength = 8 << 10

// isTokenChar reports whether c may appear in a b64token (RFC 6750 §2.1)
// before its trailing "=" padding: ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/". Every token Gatehouse issues (JWTs, base64url refresh tokens,
// cookie secrets) is spelled with these.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/':
		return true
	}
	return false
}

// isB64Token reports whether s is exactly one RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
