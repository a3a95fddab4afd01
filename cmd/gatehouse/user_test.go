package main

import (
	"strings"
	"testing"
)

// TestUserAddMapsTheName: the CLI stores a name's PRECIS form, finds the
// account by any spelling of it, and refuses look-alikes and blank names.
func TestUserAddMapsTheName(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	out, errOut, code := gh(t, data, "correct horse battery\n", "user", "add", "ＢＯＢ")
	if code != 0 || !strings.Contains(out, "created user bob ") {
		t.Fatalf("user add ＢＯＢ: %d %s %s", code, out, errOut)
	}
	for _, name := range []string{"bob", "\u0431ob", "b\u043eb"} { // Cyrillic б is no look-alike; о is
		_, errOut, code = gh(t, data, "correct horse battery\n", "user", "add", name)
		if taken := code != 0 && strings.Contains(errOut, "taken"); taken != (name != "\u0431ob") {
			t.Errorf("user add %q: %d %s", name, code, errOut)
		}
	}
	if _, errOut, code = gh(t, data, "correct horse battery\n", "user", "add", "\u3164\u3164\u3164"); code == 0 {
		t.Errorf("user add of HANGUL FILLERs: %d %s", code, errOut)
	}
	if out, errOut, code = gh(t, data, "", "user", "roles", "ｂｏｂ", "viewer"); code != 0 || !strings.Contains(out, "bob now has roles [viewer]") {
		t.Errorf("user roles ｂｏｂ: %d %s %s", code, out, errOut)
	}
}
