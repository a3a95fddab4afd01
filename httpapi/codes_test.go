package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestErrorCodesListsEveryCodeWritten: every code the package writes by
// hand — errorf(status, "code", …) and {"error": "code"} literals — is in
// ErrorCodes, so the OpenAPI Error enum (held to ErrorCodes) misses none.
func TestErrorCodesListsEveryCodeWritten(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := ErrorCodes()
	found := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var lit *ast.BasicLit
			switch x := n.(type) {
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "errorf" && len(x.Args) == 3 {
					lit, _ = x.Args[1].(*ast.BasicLit)
					if lit == nil {
						t.Errorf("%s: errorf with a code that is not a literal", path)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.BasicLit); ok && k.Value == `"error"` {
					lit, _ = x.Value.(*ast.BasicLit)
				}
			}
			if lit != nil && lit.Kind == token.STRING {
				code, _ := strconv.Unquote(lit.Value)
				found++
				if _, ok := slices.BinarySearch(codes, code); !ok {
					t.Errorf("%s writes error code %q, which ErrorCodes lacks", path, code)
				}
			}
			return true
		})
	}
	if found < 10 {
		t.Fatalf("found only %d hand-written codes: the scan is broken", found)
	}
}
