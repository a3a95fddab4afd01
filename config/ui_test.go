package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestUISetting: the pages are on by default and turned off by the flag,
// the environment or the file alike.
func TestUISetting(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "g.yaml")
	if err := os.WriteFile(file, []byte("ui: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  []string
		want bool
	}{
		{"default", nil, nil, true},
		{"flag", []string{"--ui=false"}, nil, false},
		{"environment", nil, []string{"GATEHOUSE_UI=false"}, false},
		{"file", []string{"--config", file}, nil, false},
		{"flag over file", []string{"--config", file, "--ui"}, nil, true},
	}
	for _, c := range cases {
		got, _, err := Load("serve", c.args, c.env, io.Discard, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.UI != c.want {
			t.Errorf("%s: UI %v, want %v", c.name, got.UI, c.want)
		}
	}
}
