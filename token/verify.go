package token

import (
	"time"
)

// Options configure a Verifier.
type Options struct {
	// Issuer and Audience must equal the token's iss and aud exactly (an aud
	// array must contain Audience). Empty values match no token.
	Issuer, Audience string
	// Leeway absorbs clock skew on exp, nbf and iat; 0 means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Revoked, if set, is asked about every otherwise valid token; true
	// makes Verify fail with ErrRevoked.
	Revoked func(sid, sub string, iat time.Time) bool
}

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	keys KeySource
	o    Options
}

// NewVerifier returns a Verifier that takes keys from keys.
func NewVerifier(keys KeySource, o Options) *Verifier {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Verifier{keys: keys, o: o}
}

var (
	errUnknownKid = invalid("unknown kid")
	errAlgKey     = invalid("alg does not match the key's algorithm")
	errBadKey     = invalid("key unusable for verification")
	errSignature  = invalid("signature does not verify")
	errMissing    = invalid("required claim missing")
	errEmptyClaim = invalid("required claim empty")
	errIssuer     = invalid("wrong iss")
	errAudience   = invalid("wrong aud")
	errIssuedAt   = invalid("iat in the future")
	errNotBefore  = invalid("nbf in the future")
	errExpired    = &reasonError{ErrExpired, "exp passed"}
	errRevoked    = &reasonError{ErrRevoked, "session or user revoked"}
)

// Verify checks tok and returns its claims. The order matters: the lexical
// shape and the header are checked first, then the signature with the key
// the kid names (whose algorithm wins over the header's), and only then are
// the claims read, so nothing unauthenticated is ever acted upon.
func (v *Verifier) Verify(tok string) (*Claims, error) {
	seg, err := split(tok)
	if err != nil {
		return nil, err
	}
	// One buffer for all three decoded segments: the claims' strings alias
	// it, so this is the only allocation the parse needs.
	buf := make([]byte, seg.decodedLen())
	hdr, buf, err := decodeJSON(buf, seg.header)
	if err != nil {
		return nil, err
	}
	key, err := v.key(hdr)
	if err != nil {
		return nil, err
	}
	if buf, err = verifySignature(key, seg, buf); err != nil {
		return nil, err
	}
	payload, _, err := decodeJSON(buf, seg.payload)
	if err != nil {
		return nil, err
	}
	return v.claims(payload)
}

// key parses the header and finds the key it names.
func (v *Verifier) key(hdr []byte) (*Key, error) {
	h, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	k, ok := v.keys.Lookup(h.kid)
	if !ok || k == nil {
		return nil, errUnknownKid
	}
	if h.alg != k.Alg {
		return nil, errAlgKey
	}
	return k, nil
}

// verifySignature decodes the signature into buf, checks its shape for the
// key's algorithm, and verifies it. It returns the unused rest of buf.
func verifySignature(k *Key, seg segments, buf []byte) ([]byte, error) {
	rest := buf[b64.DecodedLen(len(seg.sig)):]
	sig, _, err := decode(buf, seg.sig)
	if err != nil {
		return nil, err
	}
	if err := checkShape(k, sig); err != nil {
		return nil, err
	}
	if k.Method.Verify(seg.signed, sig, k.Verify) != nil {
		return nil, errSignature
	}
	return rest, nil
}

// claims reads and checks the payload.
func (v *Verifier) claims(payload []byte) (*Claims, error) {
	c := new(Claims)
	seen, audOK, err := parseClaims(payload, c, v.o.Audience)
	if err != nil {
		return nil, err
	}
	if c.Roles == nil {
		c.Roles = []string{}
	}
	if err := v.check(c, seen, audOK); err != nil {
		return nil, err
	}
	return c, nil
}

// check applies the rules on claim values, the cheap ones first.
func (v *Verifier) check(c *Claims, seen uint16, audOK bool) error {
	switch {
	case seen&required != required:
		return errMissing
	case c.Subject == "" || c.SessionID == "" || c.ID == "":
		return errEmptyClaim
	case c.Issuer != v.o.Issuer || v.o.Issuer == "":
		return errIssuer
	case !audOK || v.o.Audience == "":
		return errAudience
	}
	now := v.o.Now()
	switch {
	case now.After(c.ExpiresAt.Add(v.o.Leeway)):
		return errExpired
	case now.Before(c.IssuedAt.Add(-v.o.Leeway)):
		return errIssuedAt
	case seen&bNbf != 0 && now.Before(c.NotBefore.Add(-v.o.Leeway)):
		return errNotBefore
	case v.o.Revoked != nil && v.o.Revoked(c.SessionID, c.Subject, c.IssuedAt):
		return errRevoked
	}
	return nil
}
