package token

import (
	"encoding/base64"
	"unicode/utf8"
	"unsafe"
)

// MaxTokenLength caps what Verify reads: Gatehouse's tokens are well under
// 1 KiB, and a cap bounds the work an attacker can ask for.
const MaxTokenLength = 8 << 10

// b64 refuses non-zero trailing bits, so each segment has exactly one
// spelling and a token cannot be altered without breaking its signature.
var b64 = base64.RawURLEncoding.Strict()

// b64url marks the bytes of the base64url alphabet (no padding).
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

var (
	errEmpty    = invalid("empty token")
	errTooLong  = invalid("token longer than 8 KiB")
	errCharset  = invalid("character outside the base64url alphabet")
	errSegments = invalid("not three dot-separated segments")
	errEmptySeg = invalid("empty segment")
	errBase64   = invalid("segment is not canonical base64url")
	errUTF8     = invalid("JSON is not valid UTF-8")
)

// segments holds the three parts of a compact JWS, still encoded.
type segments struct {
	header, payload, sig string
	signed               string // header.payload, the signing input
}

// split checks the lexical shape of tok in one pass: length, alphabet (which
// excludes padding, whitespace and newlines), exactly two dots, no empty
// segment.
func split(tok string) (segments, error) {
	switch {
	case tok == "":
		return segments{}, errEmpty
	case len(tok) > MaxTokenLength:
		return segments{}, errTooLong
	}
	dot1, dot2 := -1, -1
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if b64url[c] {
			continue
		}
		if c != '.' {
			return segments{}, errCharset
		}
		switch {
		case dot1 < 0:
			dot1 = i
		case dot2 < 0:
			dot2 = i
		default:
			return segments{}, errSegments
		}
	}
	if dot2 < 0 {
		return segments{}, errSegments
	}
	s := segments{header: tok[:dot1], payload: tok[dot1+1 : dot2], sig: tok[dot2+1:], signed: tok[:dot2]}
	if s.header == "" || s.payload == "" || s.sig == "" {
		return segments{}, errEmptySeg
	}
	return s, nil
}

// decode decodes seg into the front of buf and returns the decoded bytes and
// the rest of buf.
func decode(buf []byte, seg string) (out, rest []byte, err error) {
	n, err := b64.Decode(buf, unsafeBytes(seg))
	if err != nil {
		return nil, buf, errBase64
	}
	return buf[:n:n], buf[n:], nil
}

// decodeJSON is decode plus the UTF-8 check every JSON segment needs.
func decodeJSON(buf []byte, seg string) (out, rest []byte, err error) {
	out, rest, err = decode(buf, seg)
	if err == nil && !utf8.Valid(out) {
		err = errUTF8
	}
	return out, rest, err
}

// decodedLen is the buffer size needed for all three segments.
func (s segments) decodedLen() int {
	return b64.DecodedLen(len(s.header)) + b64.DecodedLen(len(s.payload)) + b64.DecodedLen(len(s.sig))
}

// unsafeBytes views s as bytes for the decoder, which only reads them; it
// saves copying the token once per segment.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
