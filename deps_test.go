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
		// openapi reads the document from package docs (it embeds
		// docs/openapi.yaml) and knows nothing else of the server.
		"openapi": {"github.com/gatehouse/gatehouse/a", "github.com/gatehouse/gatehouse/b", "github.com/gatehouse/gatehouse/c", "github.com/gatehouse/gatehouse/g", "github.com/gatehouse/gatehouse/h", "github.com/gatehouse/gatehouse/k", "github.com/gatehouse/gatehouse/m", "github.com/gatehouse/gatehouse/p", "github.com/gatehouse/gatehouse/r", "github.com/gatehouse/gatehouse/s", "github.com/gatehouse/gatehouse/t", "github.com/gatehouse/gatehouse/v", "github.com/gatehouse/gatehouse/w", "net/http/httptest"},
		"docs":    {"github.com/gatehouse/gatehouse/"},
		"client":  {"github.com/gatehouse/gatehouse/"},
		// The gateway shares credentials with the API through authn and
		// credential, never through the API's handlers.
		"gateway": {"github.com/gatehouse/gatehouse/httpapi", "github.com/gatehouse/gatehouse/web", "github.com/gatehouse/gatehouse/store/sqlitestore"},
		"reqauth": {"github.com/gatehouse/gatehouse/httpapi", "github.com/gatehouse/gatehouse/web", "github.com/gatehouse/gatehouse/gateway"},
		"metrics": {"github.com/gatehouse/gatehouse/"},
		// credential is shared by the server, the gateway and the verifier
		// library: it may speak HTTP but must not know the server.
		"credential": {"github.com/gatehouse/gatehouse/"},
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

// TestVerifierImportsOnlyPublicPackages: the verifier library and the
// example resource server are what resource servers compile in; of
// Gatehouse they may import only the public token, credential and dpop packages
// (and the example, verifier itself), never the server.
func TestVerifierImportsOnlyPublicPackages(t *testing.T) {
	allowed := map[string]bool{
		"github.com/gatehouse/gatehouse/token":      true,
		"github.com/gatehouse/gatehouse/credential": true,
		"github.com/gatehouse/gatehouse/dpop":       true,
		"github.com/gatehouse/gatehouse/verifier":   true,
	}
	for _, dir := range []string{"verifier", "examples/resource-server"} {
		eachImport(t, dir, func(path, p string) {
			if strings.HasPrefix(p, "github.com/gatehouse/gatehouse/") && !allowed[p] {
				t.Errorf("%s imports %s", path, p)
			}
		})
	}
}

// TestClientIsStandardLibraryOnly: the public client package imports only
// the standard library, so using it pulls in no module at all.
func TestClientIsStandardLibraryOnly(t *testing.T) {
	eachImport(t, "client", func(path, p string) {
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			t.Errorf("%s imports %s, which is not in the standard library", path, p)
		}
	})
}

// eachImport calls fn with every import of the non-test Go files directly
// in dir (there must be some).
func eachImport(t *testing.T, dir string, fn func(path, imp string)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no Go files (%v)", dir, err)
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
			fn(path, strings.Trim(imp.Path.Value, `"`))
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

// TestOpenAPIImportsOnlyDocs: package openapi reads the document from
// package docs (which embeds docs/openapi.yaml) and knows nothing else of
// the server.
func TestOpenAPIImportsOnlyDocs(t *testing.T) {
	eachImport(t, "openapi", func(path, p string) {
		if strings.HasPrefix(p, "github.com/gatehouse/gatehouse/") && p != "github.com/gatehouse/gatehouse/docs" {
			t.Errorf("%s imports %s", path, p)
		}
	})
}
