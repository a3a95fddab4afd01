package store

import "strings"

// NormalizeUsername is the key usernames are unique on: Unicode simple case
// folding via ToLower after ToUpper (so that e.g. "ß"/"ẞ" and Kelvin sign
// fold together as far as Go's tables go).
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.ToUpper(s))
}
