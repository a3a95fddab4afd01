package gatehouse_test

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayering keeps the data flow one way (STYLE.md): authn never speaks
// HTTP, store never knows the use cases, token stays importable by resource
// servers, credential stays importable by the gateway and the verifier.
func TestLayering(t *testing.T) {
	forbidden := map[string][]string{
		"authn":    {"net/http", "github.com/gatehouse/gatehouse/httpapi"},
		"store":    {"github.com/gatehouse/gatehouse/authn", "net/http"},
		"revoke":   {"net/http", "github.com/gatehouse/gatehouse/authn"},
		"token":    {"github.com/gatehouse/gatehouse/"},
		"password": {"github.com/gatehouse/gatehouse/", "net/http"},
		"keys":     {"net/http", "github.com/gatehouse/gatehouse/authn"},
		"config":   {"github.com/gatehouse/gatehouse/"},
		"audit":    {"net/http", "github.com/gatehouse/gatehouse/authn"},
		"webhook":  {"github.com/gatehouse/gatehouse/authn"},
		"metrics":  {"github.com/gatehouse/gatehouse/"},
		// credential is shared by the server, the gateway and the verifier
		// library: it may speak HTTP but must not know the server.
		"credential": {"github.com/gatehouse/gatehouse/"},
		// client is a public library for any Go program: nothing of the
		// server (TestClientIsStandardLibraryOnly goes further).
		"client": {"github.com/gatehouse/gatehouse/"},
		// openapi is the document and its checker; httpapi serves it.
		"openapi": {"github.com/gatehouse/gatehouse/", "net/http/httptest"},
		// The pages and the JSON API are siblings over authn and browser;
		// neither reaches into the other.
		"web": {"github.com/gatehouse/gatehouse/httpapi", "github.com/gatehouse/gatehouse/store/sqlitestore"},
	}
	for dir, bad := range forbidden {
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if dir != "store" && strings.Count(filepath.ToSlash(path), "/") > 1 {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p := strings.Trim(imp.Path.Value, `"`)
				for _, b := range bad {
					if p == b || (strings.HasSuffix(b, "/") && strings.HasPrefix(p, b)) {
						if !(dir == "store" && strings.HasPrefix(p, "github.com/gatehouse/gatehouse/store")) {
							t.Errorf("%s imports %s", path, p)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestClientIsStandardLibraryOnly: the public client package imports only
// the standard library, so using it pulls in no module at all.
func TestClientIsStandardLibraryOnly(t *testing.T) {
	files, err := filepath.Glob("client/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no client sources: %v", err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s, which is not in the standard library", path, p)
			}
		}
	}
}

// TestServerDoesNotLinkTestHelpers: the OpenAPI validator (pb33f's
// libopenapi-validator, through openapi/openapitest) is for tests; the
// gatehouse binary must not link it.
func TestServerDoesNotLinkTestHelpers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/gatehouse").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/pb33f/") || strings.HasSuffix(p, "/openapitest") {
			t.Errorf("cmd/gatehouse links %s", p)
		}
	}
}
