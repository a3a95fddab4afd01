package token

// TypAccessToken is the only typ Verify accepts (RFC 9068), so an ID token
// or another JWT signed by the same key is never taken for an access token.
const TypAccessToken = "at+jwt"

var (
	errHeaderJSON  = invalid("header is not a JSON object")
	errHeaderField = invalid("header field other than alg, typ, kid")
	errHeaderDup   = invalid("duplicate header field")
	errTyp         = invalid(`typ is not "at+jwt"`)
	errNoAlg       = invalid("alg missing")
	errAlgNone     = invalid(`alg "none"`)
	errNoKid       = invalid("kid missing")
)

// header is what Verify takes from a JOSE header: nothing but these three.
type header struct {
	alg, typ, kid string
}

// parseHeader reads the header strictly. Every field other than alg, typ and
// kid is refused, above all those that would let the token choose its own key
// (jwk, jku, x5u, x5c) or change how it is processed (crit, b64, zip).
func parseHeader(b []byte) (header, error) {
	var h header
	s := scanner{b: b}
	if !s.consume('{') {
		return h, errHeaderJSON
	}
	var seen uint8
	for n := 0; ; n++ {
		key, done, ok := s.member(n)
		if !ok {
			return h, errHeaderJSON
		}
		if done {
			break
		}
		dst, bit := h.field(key)
		if dst == nil {
			return h, errHeaderField
		}
		if seen&bit != 0 {
			return h, errHeaderDup
		}
		seen |= bit
		if *dst, ok = s.str(); !ok {
			return h, errHeaderJSON
		}
	}
	if !s.end() {
		return h, errHeaderJSON
	}
	return h, h.check()
}

// field maps a header key to where its value goes and its bit in the
// duplicate mask.
func (h *header) field(key string) (*string, uint8) {
	switch key {
	case "alg":
		return &h.alg, 1
	case "typ":
		return &h.typ, 2
	case "kid":
		return &h.kid, 4
	}
	return nil, 0
}

func (h *header) check() error {
	switch {
	case h.typ != TypAccessToken:
		return errTyp
	case h.alg == "":
		return errNoAlg
	case h.alg == "none":
		return errAlgNone
	case h.kid == "":
		return errNoKid
	}
	return nil
}
