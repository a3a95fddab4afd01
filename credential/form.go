package credential

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Form parses an application/x-www-form-urlencoded body (the token
// parameter of RFC 7662 introspection and RFC 7009 revocation) with one
// value per name. A repeated parameter — "token=a&token=b", or the same
// name spelled with percent-escapes — is ErrMalformed, because a caller and
// a proxy in front of it might each read a different one. So are empty
// pairs ("a=1&&b=2"), bad escapes, ";" separators and names or values that
// are not valid UTF-8 once decoded. An empty body is an empty form.
func Form(body string) (url.Values, error) {
	out := url.Values{}
	if body == "" {
		return out, nil
	}
	for _, pair := range strings.Split(body, "&") {
		if pair == "" || strings.Contains(pair, ";") {
			return nil, fmt.Errorf("%w: empty pair or ';' in the form body", ErrMalformed)
		}
		rk, rv, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(rk)
		v, err2 := url.QueryUnescape(rv)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: bad percent-escape in the form body", ErrMalformed)
		}
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("%w: empty name or invalid UTF-8 in the form body", ErrMalformed)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: parameter %q is repeated", ErrMalformed, k)
		}
		out[k] = []string{v}
	}
	return out, nil
}
