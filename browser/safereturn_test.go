package browser

import (
	"strings"
	"testing"
)

// TestSafeReturn: only paths of this server and URLs on an allowed origin
// are places to send a user back to; every spelling of another host is not.
func TestSafeReturn(t *testing.T) {
	t.Parallel()
	o := NewOrigins([]string{"https://app.test/"})
	cases := []struct {
		to   string
		safe bool
	}{
		{"/account", true},
		{"/account?tab=devices#top", true},
		{"/%5Cevil.test", true}, // a path: browsers do not decode %5C into a separator
		{"https://app.test/after", true},
		{"HTTPS://APP.TEST/after", true},
		{"", false},
		{"//evil.test", false},
		{"///evil.test", false},
		{`/\evil.test`, false},
		{`\/evil.test`, false},
		{"https:evil.test", false},
		{"https:/evil.test", false},
		{"https://evil.test", false},
		{"%2F%2Fevil.test", false},
		{"/%2F/evil.test", false},
		{"/%2f/evil.test", false},
		{"javascript:alert(1)", false},
		{"data:text/html,x", false},
		{"http://127.0.0.1.evil.test", false},
		{"https://app.test.evil.test", false},
		{"https://app.test@evil.test", false},
		{"https://user@app.test/", false},
		{"http://app.test/", false},
		{"https://app.test:8443/", false},
		{"\t//evil.test", false},
		{"/\t/evil.test", false},
		{"/\n/evil.test", false},
		{"/\x00", false},
		{" //evil.test", false},
		{"evil.test", false},
		{"/" + strings.Repeat("a", 3000), false},
	}
	for _, c := range cases {
		if got := o.SafeReturn(c.to); got != c.safe {
			t.Errorf("SafeReturn(%q) = %v, want %v", c.to, got, c.safe)
		}
	}
}
