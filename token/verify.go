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
	// Revoked, if set, is asked about every otherwise valid token, cached
	// or not; true makes Verify fail with ErrRevoked.
	Revoked func(sid, sub string, iat time.Time) bool
	// CacheSize bounds the verified-token cache, in tokens: 0 means
	// DefaultCacheSize, a negative value turns the cache off.
	CacheSize int
}

// Verifier checks access tokens. It is safe for concurrent use.
//
// A resource server presents the same token many times, so successful
// verifications are cached by the exact token string (see cache). A hit
// skips the parse and the signature but not the rules that depend on the
// time or on state: exp, iat and nbf are checked against the clock with the
// same leeway, Revoked is asked, and the key that verified the token must
// still be the one the key source returns for its kid. Failures are never
// cached.
type Verifier struct {
	keys  KeySource
	o     Options
	cache *cache // nil when off
}

// NewVerifier returns a Verifier that takes keys from keys.
func NewVerifier(keys KeySource, o Options) *Verifier {
	if o.Now == nil {
		o.Now = time.Now
	}
	size := o.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	return &Verifier{keys: keys, o: o, cache: newCache(size)}
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

// Verify checks tok and returns its claims. The returned Claims are the
// caller's, but Roles may be shared with the cache: do not modify its
// elements.
func (v *Verifier) Verify(tok string) (*Claims, error) {
	// Tokens over the length cap are refused by split, and never looked up
	// (no hashing of a huge header) nor cached.
	if v.cache == nil || len(tok) > MaxTokenLength {
		e, err := v.verify(tok)
		if err != nil {
			return nil, err
		}
		return &e.claims, nil
	}
	if e := v.cache.get(tok); e != nil {
		if k, ok := v.keys.Lookup(e.kid); ok && k == e.key {
			return v.hit(tok, e)
		}
		v.cache.remove(tok) // key gone or replaced: verify afresh
	}
	e, err := v.verify(tok)
	if err != nil {
		return nil, err
	}
	v.cache.put(tok, e)
	c := e.claims
	return &c, nil
}

// hit applies the time rules and the revocation check to a cached
// verification, exactly as verify does after the signature.
func (v *Verifier) hit(tok string, e *verified) (*Claims, error) {
	if err := v.checkTime(&e.claims, e.seen); err != nil {
		if err == errExpired {
			v.cache.remove(tok) // it can never pass again
		}
		return nil, err
	}
	c := e.claims
	return &c, nil
}

// verify is the uncached path. The order matters: the lexical shape and the
// header are checked first, then the signature with the key the kid names
// (whose algorithm wins over the header's), and only then are the claims
// read, so nothing unauthenticated is ever acted upon.
func (v *Verifier) verify(tok string) (*verified, error) {
	seg, err := split(tok)
	if err != nil {
		return nil, err
	}
	// One buffer for all three decoded segments: the claims' strings alias
	// it, so this and the result are the only allocations the parse needs.
	buf := make([]byte, seg.decodedLen())
	hdr, buf, err := decodeJSON(buf, seg.header)
	if err != nil {
		return nil, err
	}
	kid, key, err := v.key(hdr)
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
	e := &verified{kid: kid, key: key}
	if err := v.claims(payload, e); err != nil {
		return nil, err
	}
	return e, nil
}

// key parses the header and finds the key it names.
func (v *Verifier) key(hdr []byte) (string, *Key, error) {
	h, err := parseHeader(hdr)
	if err != nil {
		return "", nil, err
	}
	k, ok := v.keys.Lookup(h.kid)
	if !ok || k == nil {
		return "", nil, errUnknownKid
	}
	if h.alg != k.Alg {
		return "", nil, errAlgKey
	}
	return h.kid, k, nil
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

// claims reads and checks the payload into e.
func (v *Verifier) claims(payload []byte, e *verified) error {
	c := &e.claims
	seen, audOK, err := parseClaims(payload, c, v.o.Audience)
	if err != nil {
		return err
	}
	if c.Roles == nil {
		c.Roles = []string{}
	}
	e.seen = seen
	return v.check(c, seen, audOK)
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
	return v.checkTime(c, seen)
}

// checkTime applies the rules that can change after a token first
// verified: the clock against exp, iat and nbf, then revocation. Cache hits
// run it too.
func (v *Verifier) checkTime(c *Claims, seen uint16) error {
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
