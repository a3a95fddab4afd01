package httpapi_test

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// documentedEndpoints parses docs/api.md's route table into sorted
// "METHOD path" pairs: rows "| GET, HEAD | `/path` | … |" under the
// "### Route table" heading, up to the next heading.
func documentedEndpoints(t *testing.T, doc []byte) []string {
	t.Helper()
	var out []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			in = line == "### Route table"
			continue
		}
		if !in || !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| methods") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			t.Fatalf("route table row %q", line)
		}
		path := strings.TrimSpace(cells[1])
		if len(path) < 3 || path[0] != '`' || path[len(path)-1] != '`' || strings.ContainsAny(path[1:len(path)-1], "` ?") {
			t.Fatalf("route table row %q: the path must be one `code span`", line)
		}
		for _, m := range strings.Split(cells[0], ",") {
			out = append(out, strings.TrimSpace(m)+" "+path[1:len(path)-1])
		}
	}
	if len(out) == 0 {
		t.Fatal(`docs/api.md has no "### Route table"`)
	}
	sort.Strings(out)
	return out
}

// TestEveryRouteIsDocumented keeps docs/api.md's route table equal to the
// server's routes: the same paths, exactly, with the same methods.
func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	served := e.app.API().Endpoints()
	documented := documentedEndpoints(t, doc)
	for _, ep := range served {
		if _, found := slices.BinarySearch(documented, ep); !found {
			t.Errorf("docs/api.md's route table lacks %s", ep)
		}
	}
	for _, ep := range documented {
		if _, found := slices.BinarySearch(served, ep); !found {
			t.Errorf("docs/api.md's route table lists %s, which the server does not serve", ep)
		}
	}
}

// TestRouteTableParserIsExact: a path that only prefixes a documented one
// (/v1/me against /v1/me/events) is not documented.
func TestRouteTableParserIsExact(t *testing.T) {
	t.Parallel()
	doc := []byte("### Route table\n\n| methods | path | credential |\n|---|---|---|\n| GET | `/v1/me/events` | bearer |\n\n## Next\n| GET | `/v1/me` | x |\n")
	got := documentedEndpoints(t, doc)
	if want := []string{"GET /v1/me/events"}; !slices.Equal(got, want) {
		t.Fatalf("parsed %q, want %q", got, want)
	}
	if _, found := slices.BinarySearch(got, "GET /v1/me"); found {
		t.Fatal("/v1/me counted as documented")
	}
}
