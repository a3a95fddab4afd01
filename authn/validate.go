package authn

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	minUsername  = 3
	maxUsername  = 64
	minPassword  = 8
	maxPassword  = 1024 // bytes
	maxRoles     = 32
	maxRoleLen   = 64
	maxUserAgent = 512
)

// checkUsername enforces API.md's 3–64 characters, and refuses what would
// make two names look alike or break logs: invalid UTF-8, control and format
// characters (zero-width joiners, bidi overrides), and leading/trailing or
// non-ASCII space.
func checkUsername(s string) error {
	if !utf8.ValidString(s) {
		return invalid("username", "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < minUsername || n > maxUsername {
		return invalid("username", "must be %d to %d characters", minUsername, maxUsername)
	}
	if strings.TrimSpace(s) != s {
		return invalid("username", "must not start or end with white space")
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) || (unicode.IsSpace(r) && r != ' ') {
			return invalid("username", "must not contain control, format or invisible characters")
		}
	}
	return nil
}

// checkLoginUsername is looser than checkUsername (any name that could exist
// is looked up), but refuses input no account could have.
func checkLoginUsername(s string) error {
	if s == "" {
		return invalid("username", "is required")
	}
	if len(s) > 4*maxUsername || !utf8.ValidString(s) {
		return invalid("username", "is not a possible username")
	}
	return nil
}

func checkPassword(field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if len(s) > maxPassword {
		return invalid(field, "must be at most %d bytes", maxPassword)
	}
	if utf8.RuneCountInString(s) < minPassword {
		return invalid(field, "must be at least %d characters", minPassword)
	}
	return nil
}

// checkPresentedPassword accepts any non-empty password up to the size cap:
// an old account may predate today's length rule.
func checkPresentedPassword(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	if len(s) > maxPassword {
		return invalid(field, "must be at most %d bytes", maxPassword)
	}
	return nil
}

func checkRoles(roles []string) ([]string, error) {
	if len(roles) > maxRoles {
		return nil, invalid("roles", "at most %d roles", maxRoles)
	}
	seen := make(map[string]bool, len(roles))
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		if r == "" || len(r) > maxRoleLen || strings.ContainsFunc(r, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:-", c))
		}) {
			return nil, invalid("roles", "each role is 1 to %d of A-Z a-z 0-9 _ . : -", maxRoleLen)
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// clip bounds client-supplied metadata kept with a session.
func clip(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:n], "")
}
