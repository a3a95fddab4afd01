package dpop

import (
	"strconv"
	"strings"
)

// maxHTU bounds the URL a proof may name.
const maxHTU = 2048

var (
	errHTUSyntax   = invalid("htu is not an absolute http(s) URL")
	errHTUQuery    = invalid("htu has a query or fragment")
	errHTUUserinfo = invalid("htu has userinfo")
	errHTUHost     = invalid("htu host is malformed")
	errHTUPort     = invalid("htu port is malformed")
	errHTUPath     = invalid("htu path has a character outside RFC 3986 or a bad percent-encoding")
)

// NormalizeHTU returns the normal form of an htu value (or of a request's
// URL, built as scheme://host[:port]/path) for comparison, as RFC 9449 §4.3
// asks: syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and
// §6.2.3. The scheme and host are lower-cased, the port is dropped when it is
// the scheme's default (or empty), an empty path becomes "/", percent-
// encodings get upper-case hex digits and those of unreserved characters are
// decoded, and "." and ".." segments are removed. A URL with a query,
// fragment or userinfo, a scheme other than http and https, or a character
// RFC 3986 does not allow is refused rather than repaired.
func NormalizeHTU(s string) (string, error) {
	if len(s) > maxHTU {
		return "", errHTUSyntax
	}
	if strings.ContainsAny(s, "?#") {
		return "", errHTUQuery
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return "", errHTUSyntax
	}
	scheme := strings.ToLower(s[:i])
	var defaultPort string
	switch scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return "", errHTUSyntax
	}
	rest := s[i+3:]
	authority, path := rest, "/"
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority, path = rest[:j], rest[j:]
	}
	host, err := normalizeAuthority(authority, defaultPort)
	if err != nil {
		return "", err
	}
	path, err = normalizePath(path)
	if err != nil {
		return "", err
	}
	return scheme + "://" + host + path, nil
}

// normalizeAuthority lower-cases the host and drops a default or empty
// port.
func normalizeAuthority(a, defaultPort string) (string, error) {
	if strings.IndexByte(a, '@') >= 0 {
		return "", errHTUUserinfo
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") { // IPv6 literal
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", errHTUHost
		}
		host, port = a[:end+1], a[end+1:]
		if !hostChars(host[1:end], true) || end == 1 {
			return "", errHTUHost
		}
		if port != "" && port[0] != ':' {
			return "", errHTUHost
		}
		port = strings.TrimPrefix(port, ":")
	} else if j := strings.LastIndexByte(a, ':'); j >= 0 {
		host, port = a[:j], a[j+1:]
	}
	if host == "" || (host[0] != '[' && !hostChars(host, false)) {
		return "", errHTUHost
	}
	host = strings.ToLower(host)
	if port == "" {
		return host, nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || port[0] == '+' {
		return "", errHTUPort
	}
	if p := strconv.FormatUint(n, 10); p != defaultPort {
		return host + ":" + p, nil
	}
	return host, nil
}

// hostChars allows a registered name of letters, digits, '-', '.', '_' and
// '~' (percent-encoded names are refused: nobody needs them in an htu), or
// for an IPv6 literal hex digits, ':' and '.'.
func hostChars(h string, ipv6 bool) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isHex(c), c == '.':
		case ipv6:
			if c != ':' {
				return false
			}
		case unreserved(c):
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// pathChar reports whether c may appear literally in a path: pchar
// (unreserved, sub-delims, ':' and '@') or '/'.
func pathChar(c byte) bool {
	return unreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0
}

const upperHex = "0123456789ABCDEF"

// normalizePath fixes percent-encodings (upper-case hex, unreserved
// characters decoded) and removes dot segments.
func normalizePath(p string) (string, error) {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			if !pathChar(c) {
				return "", errHTUPath
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", errHTUPath
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		if unreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[v>>4])
			b.WriteByte(upperHex[v&15])
		}
		i += 2
	}
	return removeDotSegments(b.String()), nil
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path (it starts
// with '/'). Percent-encoded dots were decoded before, so "%2E%2E" counts.
func removeDotSegments(in string) string {
	out := make([]string, 0, strings.Count(in, "/"))
	segs := strings.Split(in[1:], "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}
