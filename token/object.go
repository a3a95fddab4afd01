package token

import (
	"strings"
	"time"
	"unicode/utf8"
)

// JSONKind is the kind of a JSONValue.
type JSONKind uint8

// The kinds ParseJSONObject tells apart. Arrays, booleans and null are
// syntax-checked and reported as JSONOther.
const (
	JSONOther JSONKind = iota
	JSONString
	JSONNumber
	JSONObject
)

// JSONValue is one value of an object read by ParseJSONObject.
type JSONValue struct {
	Kind   JSONKind
	String string               // JSONString: the decoded string
	Number string               // JSONNumber: the literal text
	Object map[string]JSONValue // JSONObject: its members
}

var (
	errObjectJSON = invalid("not a JSON object")
	errObjectDup  = invalid("duplicate member")
	errObjectSize = invalid("too many members")
	errObjectCase = invalid("member name differs from a known name only in case")
)

// ParseJSONObject reads b, which must be exactly one JSON object in valid
// UTF-8, as strictly as token headers and claims are read: RFC 8259 syntax
// only, lone surrogates refused, a duplicate member name at any depth
// refused, nesting at most 16 deep, at most maxMembers members in each
// object. Every error wraps ErrInvalid. It exists so that other JWS formats
// Gatehouse reads (DPoP proofs) get the same parser and cannot disagree
// with it about what a document says.
//
// Strings without escapes alias b: the caller must not modify b afterwards.
func ParseJSONObject(b []byte, maxMembers int) (map[string]JSONValue, error) {
	if !utf8.Valid(b) {
		return nil, errUTF8
	}
	s := scanner{b: b}
	if !s.consume('{') {
		return nil, errObjectJSON
	}
	m, err := s.object(1, maxMembers)
	if err != nil {
		return nil, err
	}
	if !s.end() {
		return nil, errObjectJSON
	}
	return m, nil
}

// object reads the members of an object whose '{' has been eaten.
func (s *scanner) object(depth, maxMembers int) (map[string]JSONValue, error) {
	if depth > maxDepth {
		return nil, errObjectJSON
	}
	m := make(map[string]JSONValue)
	for n := 0; ; n++ {
		key, done, ok := s.member(n)
		switch {
		case !ok:
			return nil, errObjectJSON
		case done:
			return m, nil
		case n == maxMembers:
			return nil, errObjectSize
		}
		if _, dup := m[key]; dup {
			return nil, errObjectDup
		}
		v, err := s.value(depth, maxMembers)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

func (s *scanner) value(depth, maxMembers int) (JSONValue, error) {
	switch c := s.peek(); {
	case c == '"':
		v, ok := s.str()
		if !ok {
			return JSONValue{}, errObjectJSON
		}
		return JSONValue{Kind: JSONString, String: v}, nil
	case c == '{':
		s.i++
		o, err := s.object(depth+1, maxMembers)
		return JSONValue{Kind: JSONObject, Object: o}, err
	case c == '-' || (c >= '0' && c <= '9'):
		num, ok := s.number()
		if !ok {
			return JSONValue{}, errObjectJSON
		}
		return JSONValue{Kind: JSONNumber, Number: alias(num)}, nil
	}
	if !s.skip(depth + 1) {
		return JSONValue{}, errObjectJSON
	}
	return JSONValue{Kind: JSONOther}, nil
}

// CheckNames refuses a member of m whose name is not in known but equals
// one of them ignoring case ("Jti" beside or instead of "jti"), the way
// token claims are read, so two parsers cannot read different values.
func CheckNames(m map[string]JSONValue, known ...string) error {
	for name := range m {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return errObjectCase
			}
		}
	}
	return nil
}

// NumericDate reads a JSON number (the Number of a JSONValue) as an RFC
// 7519 NumericDate in [1970, 9999], as Verify reads exp and iat.
func NumericDate(num string) (time.Time, error) {
	return numericDate([]byte(num))
}

// VerifySignature checks sig over signingInput with k, after the same
// shape checks Verify makes (method pinned by the key's algorithm, exact
// signature length, ECDSA r and s in range).
func VerifySignature(k *Key, signingInput string, sig []byte) error {
	if k == nil {
		return errBadKey
	}
	if err := checkShape(k, sig); err != nil {
		return err
	}
	if k.Method.Verify(signingInput, sig, k.Verify) != nil {
		return errSignature
	}
	return nil
}
