package authn

import (
	"strings"
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

// checkLoginUsername is looser than mapUsername (any name that could exist
// is looked up, in the store's NormalizeUsername form, including names from
// before PRECIS), but refuses input no account could have.
func checkLoginUsername(s string) error {
	if s == "" {
		return invalid("username", "is required")
	}
	if len(s) > maxUsernameBytes || !utf8.ValidString(s) {
		return invalid("username", "is not a possible username")
	}
	return nil
}

// checkPassword checks a new password. It must have a PRECIS OpaqueString
// form (passwordForm), which is what is hashed, and its length is counted
// in that form.
func checkPassword(field, s string) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if len(s) > maxPassword {
		return invalid(field, "must be at most %d bytes", maxPassword)
	}
	form, err := passwordForm(s)
	if err != nil {
		return invalid(field, "must not contain control or unassigned characters")
	}
	if utf8.RuneCountInString(form) < minPassword {
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
