package config

import (
	"os"
	"strings"
	"testing"
)

// TestEverySettingIsDocumented keeps docs/configuration.md true.
func TestEverySettingIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		if !strings.Contains(string(b), "| `"+name+"` |") {
			t.Errorf("docs/configuration.md has no row for %s", name)
		}
	}
}
