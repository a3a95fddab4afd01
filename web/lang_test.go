package web

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"testing"
)

func TestNegotiate(t *testing.T) {
	t.Parallel()
	cases := []struct{ header, want string }{
		{"", "en"},
		{"ko", "ko"},
		{"ko-KR", "ko"},
		{"KO-kr", "ko"},
		{"ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"},
		{"en-US,en;q=0.9,ko;q=0.8", "en"},
		{"fr-FR, ko;q=0.5", "ko"},
		{"fr-FR, de", "en"},
		{"*", "en"},
		{"ko;q=0.1, en;q=0.9", "en"},
		{"en;q=0.1, ko;q=0.9", "ko"},
		{"ko;q=0, en", "en"},
		{"ko;q=0", "en"},
		{"ko;q=abc", "en"},
		{"ko;q=2", "en"},
		{"ko;level=1", "en"},
		{"kok", "en"},
		{"en, ko", "en"},
		{"ko, en", "ko"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Accept-Language", c.header)
		}
		if got := negotiate(r).lang; got != c.want {
			t.Errorf("Accept-Language %q: %s, want %s", c.header, got, c.want)
		}
	}
}

// TestTextTablesHaveTheSameKeys: every string exists in both languages.
func TestTextTablesHaveTheSameKeys(t *testing.T) {
	t.Parallel()
	for k := range textEN {
		if _, ok := textKO[k]; !ok {
			t.Errorf("Korean lacks %q", k)
		}
	}
	for k := range textKO {
		if _, ok := textEN[k]; !ok {
			t.Errorf("English lacks %q", k)
		}
	}
}

// TestEveryUsedKeyExists: the templates, the error table and the notices
// name only keys the tables have.
func TestEveryUsedKeyExists(t *testing.T) {
	t.Parallel()
	var used []string
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	get := regexp.MustCompile(`T\.Get "([^"]+)"`)
	for _, f := range entries {
		b, err := os.ReadFile("templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range get.FindAllStringSubmatch(string(b), -1) {
			used = append(used, m[1])
		}
	}
	for _, p := range problems {
		used = append(used, p.key)
	}
	for _, k := range notices {
		used = append(used, k)
	}
	used = append(used, "error.internal", "error.title", "error.wrong_password")
	for _, k := range slices.Compact(slices.Sorted(slices.Values(used))) {
		if _, ok := textEN[k]; !ok {
			t.Errorf("key %q is used but has no text", k)
		}
	}
}
