package credential

import (
	"fmt"
	"net/http"
	"strings"
)

// Cookie returns the value of the one cookie called name among all of the
// request's Cookie header fields (HTTP/2 may split them into several, which
// RFC 9113 §8.2.3 allows). present is false, and err nil, when no cookie
// has that exact name (names are case-sensitive, RFC 6265). Otherwise the
// value must be a b64token of at most MaxLength bytes, unquoted, with
// nothing around it; two cookies of that name — a planted one beside the
// real one, say — are ErrMalformed, never "first wins".
//
// Pairs of other names are skipped without judging their syntax: they
// belong to other applications on the same host. That includes names that
// differ from name only by letter case: they are other cookies (RFC 6265),
// and refusing them would let a sibling domain that plants one lock the
// user out.
func Cookie(h http.Header, name string) (value string, present bool, err error) {
	n := 0
	for _, line := range h.Values("Cookie") {
		for _, pair := range strings.Split(line, ";") {
			k, v, ok := strings.Cut(strings.TrimLeft(pair, " \t"), "=")
			if !ok || strings.TrimRight(k, " \t") != name {
				continue
			}
			if k != name {
				// Parsers that trim names would read this pair as ours.
				return "", true, fmt.Errorf("%w: white space after the name of cookie %s", ErrMalformed, name)
			}
			n++
			value = v
		}
	}
	switch {
	case n == 0:
		return "", false, nil
	case n > 1:
		return "", true, fmt.Errorf("%w: %d cookies named %s", ErrMalformed, n, name)
	case len(value) > MaxLength:
		return "", true, fmt.Errorf("%w: cookie %s is longer than %d bytes", ErrMalformed, name, MaxLength)
	case !isB64Token(value):
		return "", true, fmt.Errorf("%w: cookie %s has characters outside the token alphabet", ErrMalformed, name)
	}
	return value, true, nil
}
