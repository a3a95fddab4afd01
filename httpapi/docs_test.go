package httpapi_test

import (
	"os"
	"strings"
	"testing"
)

// TestEveryRouteIsDocumented keeps docs/api.md complete.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range e.app.Handler().Routes() {
		if route == "/" {
			continue
		}
		if !strings.Contains(string(doc), route) {
			t.Errorf("docs/api.md does not mention %s", route)
		}
	}
}
