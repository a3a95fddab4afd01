package token

import (
	"unicode/utf8"
	"unsafe"
)

// scanner is a single-pass reader of the small JSON documents in a JWT.
// encoding/json cannot report duplicate keys and costs more than the HMAC it
// guards, so token headers and claims are read with this instead. It accepts
// exactly RFC 8259 JSON; the caller checks UTF-8 validity of the whole input
// first.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds nesting inside unknown claim values.
const maxDepth = 16

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// consume skips whitespace and eats c if it comes next.
func (s *scanner) consume(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// member reads the next "key": of an object whose '{' has been eaten; n is
// how many members were read before. done is true at the closing '}'.
func (s *scanner) member(n int) (key string, done, ok bool) {
	if s.consume('}') {
		return "", true, true
	}
	if n > 0 && !s.consume(',') {
		return "", false, false
	}
	key, ok = s.str()
	if !ok || !s.consume(':') {
		return "", false, false
	}
	return key, false, true
}

// element is member for arrays: it reports whether another element follows
// (and eats its ',' separator).
func (s *scanner) element(n int) (more, ok bool) {
	if s.consume(']') {
		return false, true
	}
	if n > 0 && !s.consume(',') {
		return false, false
	}
	return true, true
}

// alias returns b as a string without copying. Safe here because every
// buffer scanned is private to one Verify call and never written after it has
// been decoded, so the strings handed out stay immutable.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// str reads a JSON string. Without escapes it aliases the input.
func (s *scanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := alias(s.b[start:s.i])
			s.i++
			return v, true
		case c == '\\':
			return s.strEscaped(start)
		case c < 0x20:
			return "", false
		}
		s.i++
	}
	return "", false
}

// strEscaped finishes a string that contains escapes, copying it.
func (s *scanner) strEscaped(start int) (string, bool) {
	out := make([]byte, 0, s.i-start+16)
	out = append(out, s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		var ok bool
		if out, ok = s.escape(out); !ok {
			return "", false
		}
	}
	return "", false
}

// escape decodes the escape sequence at the cursor (a backslash) onto out.
func (s *scanner) escape(out []byte) ([]byte, bool) {
	if s.i+1 >= len(s.b) {
		return out, false
	}
	c := s.b[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return append(out, c), true
	case 'b':
		return append(out, '\b'), true
	case 'f':
		return append(out, '\f'), true
	case 'n':
		return append(out, '\n'), true
	case 'r':
		return append(out, '\r'), true
	case 't':
		return append(out, '\t'), true
	case 'u':
		r, ok := s.unicode()
		return utf8.AppendRune(out, r), ok
	}
	return out, false
}

// unicode reads the XXXX of a \uXXXX escape (the cursor is after the 'u'),
// with a following low surrogate when XXXX is a high one. Lone surrogates are
// refused rather than replaced, so two spellings never decode alike.
func (s *scanner) unicode() (rune, bool) {
	r, ok := s.hex4()
	switch {
	case !ok:
		return 0, false
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, false
	case r < 0xD800 || r > 0xDBFF:
		return r, true
	}
	if s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
		return 0, false
	}
	s.i += 2
	lo, ok := s.hex4()
	if !ok || lo < 0xDC00 || lo > 0xDFFF {
		return 0, false
	}
	return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), true
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case !s.digits():
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

// digits eats one or more decimal digits.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// skip reads and discards any JSON value (an unknown claim), checking its
// syntax only.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch s.peek() {
	case '"':
		_, ok := s.str()
		return ok
	case '{':
		s.i++
		return s.skipObject(depth)
	case '[':
		s.i++
		return s.skipArray(depth)
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	_, ok := s.number()
	return ok
}

func (s *scanner) skipObject(depth int) bool {
	for n := 0; ; n++ {
		_, done, ok := s.member(n)
		if !ok || done {
			return ok
		}
		if !s.skip(depth + 1) {
			return false
		}
	}
}

func (s *scanner) skipArray(depth int) bool {
	for n := 0; ; n++ {
		more, ok := s.element(n)
		if !ok || !more {
			return ok
		}
		if !s.skip(depth + 1) {
			return false
		}
	}
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}
