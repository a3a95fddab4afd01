package token

import (
	"encoding/base64"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

var (
	errMintKey    = errors.New("token: mint: key cannot sign")
	errMintClaims = errors.New("token: mint: iss, sub, aud, jti, sid, exp and iat are required")
	errMintUTF8   = errors.New("token: mint: claim is not valid UTF-8")
	errMintDate   = errors.New("token: mint: date out of range")
)

// Mint signs c with k. The header is exactly {"alg","kid","typ":"at+jwt"}
// and dates are written as integer seconds. Mint refuses claims that Verify
// would refuse for being incomplete, so a bug shows at the minting side.
func Mint(k *Key, c *Claims) (string, error) {
	if k == nil || k.Sign == nil || k.ID == "" || k.Method == nil || k.Method != MethodFor(k.Alg) {
		return "", errMintKey
	}
	if err := mintable(c); err != nil {
		return "", err
	}
	hdr := appendHeader(make([]byte, 0, 64+len(k.ID)), k)
	payload := appendClaims(make([]byte, 0, 256), c)
	enc := base64.RawURLEncoding
	signed := make([]byte, 0, enc.EncodedLen(len(hdr))+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(512))
	signed = enc.AppendEncode(signed, hdr)
	signed = append(signed, '.')
	signed = enc.AppendEncode(signed, payload)
	sig, err := k.Method.Sign(string(signed), k.Sign)
	if err != nil {
		return "", err
	}
	signed = append(signed, '.')
	return string(enc.AppendEncode(signed, sig)), nil
}

func mintable(c *Claims) error {
	if c == nil || c.Issuer == "" || c.Subject == "" || c.Audience == "" || c.ID == "" ||
		c.SessionID == "" || c.ExpiresAt.IsZero() || c.IssuedAt.IsZero() {
		return errMintClaims
	}
	for _, s := range [...]string{c.Issuer, c.Subject, c.Audience, c.ID, c.SessionID, c.Username, c.JKT} {
		if !utf8.ValidString(s) {
			return errMintUTF8
		}
	}
	for _, s := range c.Roles {
		if !utf8.ValidString(s) {
			return errMintUTF8
		}
	}
	for _, t := range [...]time.Time{c.ExpiresAt, c.IssuedAt, c.NotBefore, c.AuthTime} {
		if !t.IsZero() && (t.Unix() < 0 || t.Unix() > maxNumericDate) {
			return errMintDate
		}
	}
	return nil
}

func appendHeader(b []byte, k *Key) []byte {
	b = append(b, `{"alg":`...)
	b = appendString(b, k.Alg)
	b = append(b, `,"kid":`...)
	b = appendString(b, k.ID)
	return append(b, `,"typ":"at+jwt"}`...)
}

func appendClaims(b []byte, c *Claims) []byte {
	b = appendMember(b, `{"iss":`, c.Issuer)
	b = appendMember(b, `,"sub":`, c.Subject)
	b = appendMember(b, `,"aud":`, c.Audience)
	b = appendDate(b, `,"exp":`, c.ExpiresAt)
	b = appendDate(b, `,"iat":`, c.IssuedAt)
	b = appendDate(b, `,"nbf":`, c.NotBefore)
	b = appendMember(b, `,"jti":`, c.ID)
	b = appendMember(b, `,"sid":`, c.SessionID)
	b = appendDate(b, `,"auth_time":`, c.AuthTime)
	if c.Username != "" {
		b = appendMember(b, `,"preferred_username":`, c.Username)
	}
	if c.JKT != "" {
		b = appendMember(b, `,"cnf":{"jkt":`, c.JKT)
		b = append(b, '}')
	}
	b = append(b, `,"roles":[`...)
	for i, r := range c.Roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, r)
	}
	return append(b, "]}"...)
}

func appendMember(b []byte, prefix, v string) []byte {
	return appendString(append(b, prefix...), v)
}

// appendDate writes t as integer seconds; a zero t (optional claim) is
// left out.
func appendDate(b []byte, prefix string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return strconv.AppendInt(append(b, prefix...), t.Unix(), 10)
}

// appendString writes s (valid UTF-8) as a JSON string, escaping only what
// JSON requires.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
