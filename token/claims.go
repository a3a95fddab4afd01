package token

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Bits of the claims seen so far: for duplicates and required claims.
const (
	bIss uint16 = 1 << iota
	bSub
	bAud
	bExp
	bIat
	bNbf
	bJti
	bSid
	bAuthTime
	bRoles
	bUsername
	bCnf

	required = bIss | bSub | bAud | bExp | bIat | bJti | bSid
)

// knownClaims are matched case-insensitively against unknown names: a
// "Sub" or "EXP" next to (or instead of) the real claim is how parser
// differentials are exploited, so such names are refused.
var knownClaims = [...]string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "auth_time", "roles", "preferred_username", "cnf"}

// maxExtraClaims bounds the unknown claims a token may carry (duplicate
// detection among them is quadratic).
const maxExtraClaims = 32

var (
	errPayloadJSON = invalid("claims are not a JSON object")
	errClaimDup    = invalid("duplicate claim")
	errClaimCase   = invalid("claim name differs from a known claim only in case")
	errClaimType   = invalid("claim has the wrong JSON type")
	errClaimDate   = invalid("date claim out of range")
	errTooMany     = invalid("too many unknown claims")
	errCnf         = invalid(`cnf is not {"jkt": thumbprint}`)
)

// claimsReader reads the claims of one token into c. aud is the audience
// the verifier wants; an aud array matches when it contains it.
type claimsReader struct {
	s     scanner
	c     *Claims
	aud   string
	seen  uint16
	audOK bool
	extra []string
}

func parseClaims(b []byte, c *Claims, aud string) (seen uint16, audOK bool, err error) {
	r := claimsReader{s: scanner{b: b}, c: c, aud: aud}
	if !r.s.consume('{') {
		return 0, false, errPayloadJSON
	}
	for n := 0; ; n++ {
		key, done, ok := r.s.member(n)
		if !ok {
			return 0, false, errPayloadJSON
		}
		if done {
			break
		}
		if err := r.claim(key); err != nil {
			return 0, false, err
		}
	}
	if !r.s.end() {
		return 0, false, errPayloadJSON
	}
	return r.seen, r.audOK, nil
}

// claim reads the value of one member.
func (r *claimsReader) claim(key string) error {
	bit := claimBit(key)
	if bit == 0 {
		return r.unknown(key)
	}
	if r.seen&bit != 0 {
		return errClaimDup
	}
	r.seen |= bit
	switch bit {
	case bAud:
		return r.audience()
	case bRoles:
		return r.roles()
	case bCnf:
		return r.cnf()
	case bExp, bIat, bNbf, bAuthTime:
		return r.date(bit)
	}
	v, ok := r.s.str()
	if !ok {
		return errClaimType
	}
	*r.stringField(bit) = v
	return nil
}

func claimBit(key string) uint16 {
	switch key {
	case "iss":
		return bIss
	case "sub":
		return bSub
	case "aud":
		return bAud
	case "exp":
		return bExp
	case "iat":
		return bIat
	case "nbf":
		return bNbf
	case "jti":
		return bJti
	case "sid":
		return bSid
	case "auth_time":
		return bAuthTime
	case "roles":
		return bRoles
	case "preferred_username":
		return bUsername
	case "cnf":
		return bCnf
	}
	return 0
}

func (r *claimsReader) stringField(bit uint16) *string {
	switch bit {
	case bIss:
		return &r.c.Issuer
	case bSub:
		return &r.c.Subject
	case bJti:
		return &r.c.ID
	case bSid:
		return &r.c.SessionID
	}
	return &r.c.Username
}

// unknown skips a claim Gatehouse does not use, refusing case variants of
// known names and duplicates.
func (r *claimsReader) unknown(key string) error {
	for _, k := range knownClaims {
		if strings.EqualFold(key, k) {
			return errClaimCase
		}
	}
	for _, k := range r.extra {
		if k == key {
			return errClaimDup
		}
	}
	if len(r.extra) == maxExtraClaims {
		return errTooMany
	}
	r.extra = append(r.extra, key)
	if !r.s.skip(1) {
		return errPayloadJSON
	}
	return nil
}

// audience accepts a string, or an array of strings that contains the
// verifier's audience (RFC 7519 allows both; Mint writes a string).
func (r *claimsReader) audience() error {
	if r.s.peek() != '[' {
		v, ok := r.s.str()
		if !ok {
			return errClaimType
		}
		r.c.Audience, r.audOK = v, v == r.aud
		return nil
	}
	r.s.i++
	for n := 0; ; n++ {
		more, ok := r.s.element(n)
		if !ok {
			return errClaimType
		}
		if !more {
			return nil
		}
		v, ok := r.s.str()
		if !ok {
			return errClaimType
		}
		if v == r.aud && !r.audOK {
			r.c.Audience, r.audOK = v, true
		}
	}
}

func (r *claimsReader) roles() error {
	if !r.s.consume('[') {
		return errClaimType
	}
	roles := r.c.Roles[:0]
	for n := 0; ; n++ {
		more, ok := r.s.element(n)
		if !ok {
			return errClaimType
		}
		if !more {
			break
		}
		v, ok := r.s.str()
		if !ok {
			return errClaimType
		}
		roles = append(roles, v)
	}
	r.c.Roles = roles
	return nil
}

func (r *claimsReader) date(bit uint16) error {
	if p := r.s.peek(); p != '-' && (p < '0' || p > '9') {
		return errClaimType
	}
	num, ok := r.s.number()
	if !ok {
		return errPayloadJSON
	}
	t, err := numericDate(num)
	if err != nil {
		return err
	}
	switch bit {
	case bExp:
		r.c.ExpiresAt = t
	case bIat:
		r.c.IssuedAt = t
	case bNbf:
		r.c.NotBefore = t
	default:
		r.c.AuthTime = t
	}
	return nil
}

// numericDate converts a JSON number (already syntax-checked) to a time in
// [1970, 9999]. Integers, the common case, skip strconv.
func numericDate(num []byte) (time.Time, error) {
	var sec int64
	for _, c := range num {
		if c < '0' || c > '9' || sec > maxNumericDate {
			return numericDateFloat(num)
		}
		sec = sec*10 + int64(c-'0')
	}
	if sec > maxNumericDate {
		return time.Time{}, errClaimDate
	}
	return time.Unix(sec, 0), nil
}

func numericDateFloat(num []byte) (time.Time, error) {
	f, err := strconv.ParseFloat(alias(num), 64)
	if err != nil || !(f >= 0 && f <= maxNumericDate) {
		return time.Time{}, errClaimDate
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// cnf reads the confirmation claim (RFC 7800) of a DPoP-bound token: an
// object whose only member is jkt (RFC 9449 §6.1), a non-empty string.
// Any other confirmation method is refused rather than ignored: a token
// bound to a key in a way Gatehouse cannot check must not pass as a bearer
// token.
func (r *claimsReader) cnf() error {
	if !r.s.consume('{') {
		return errCnf
	}
	key, done, ok := r.s.member(0)
	if !ok || done || key != "jkt" {
		return errCnf
	}
	v, ok := r.s.str()
	if !ok || v == "" {
		return errCnf
	}
	if _, done, ok = r.s.member(1); !ok || !done {
		return errCnf
	}
	r.c.JKT = v
	return nil
}
