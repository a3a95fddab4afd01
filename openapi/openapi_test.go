package openapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/openapi"
	"github.com/gatehouse/gatehouse/openapi/openapitest"
	"gopkg.in/yaml.v3"
)

func load(t *testing.T) *openapi.Spec {
	t.Helper()
	s, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func open(t *testing.T) *app.App {
	t.Helper()
	c := testenv.Config(t)
	c.AdminToken = "test-admin-token-0123456789abcdef012345"
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestEveryRouteIsInTheDocument: the document's operations are exactly
// the router's "METHOD pattern" pairs, in both directions.
func TestEveryRouteIsInTheDocument(t *testing.T) {
	t.Parallel()
	served := open(t).API().Endpoints()
	described := load(t).Operations()
	for _, ep := range served {
		if !slices.Contains(described, ep) {
			t.Errorf("openapi.yaml lacks %s", ep)
		}
	}
	for _, op := range described {
		if !slices.Contains(served, op) {
			t.Errorf("openapi.yaml describes %s, which the server does not serve", op)
		}
	}
}

// TestErrorEnumIsTheErrorTable: the Error schema's enum is exactly the
// codes the server can write (httpapi.ErrorCodes).
func TestErrorEnumIsTheErrorTable(t *testing.T) {
	t.Parallel()
	if got, want := load(t).ErrorCodes(), httpapi.ErrorCodes(); !slices.Equal(got, want) {
		t.Fatalf("Error.error enum = %q\nthe server writes     %q", got, want)
	}
}

// TestDocumentIsWellFormed: OpenAPI 3.1, every local $ref resolves, every
// operation has a unique operationId, every {param} of a path is declared.
func TestDocumentIsWellFormed(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := yaml.Unmarshal(openapi.YAML, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %v", doc["openapi"])
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#/") || lookup(doc, ref[2:]) == nil {
					t.Errorf("%s: $ref %s does not resolve", at, ref)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for _, e := range x {
				walk(e, at)
			}
		}
	}
	walk(doc, "")
	ids := map[string]string{}
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] != "" {
				t.Errorf("%s %s: operationId %q missing or also used by %s", m, p, id, ids[id])
			}
			ids[id] = m + " " + p
			if strings.Contains(p, "{id}") && !declaresID(doc, o) {
				t.Errorf("%s %s: the path parameter id is not declared", m, p)
			}
			if _, ok := o["responses"].(map[string]any); !ok {
				t.Errorf("%s %s: no responses", m, p)
			}
		}
	}
}

func declaresID(doc map[string]any, op map[string]any) bool {
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		m := p.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m, _ = lookup(doc, ref[2:]).(map[string]any)
		}
		if m["name"] == "id" && m["in"] == "path" {
			return true
		}
	}
	return false
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestServedDocument: GET /v1/openapi.yaml answers this file, byte for
// byte, as application/yaml; HEAD the same headers.
func TestServedDocument(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(open(t).Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != string(openapi.YAML) || res.Header.Get("Content-Type") != "application/yaml; charset=utf-8" {
		t.Fatalf("%d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(b))
	}
	res, err = http.Head(srv.URL + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.ContentLength != int64(len(openapi.YAML)) {
		t.Fatalf("HEAD: %d, length %d", res.StatusCode, res.ContentLength)
	}
}

// TestUnauthenticatedAnswersMatch: every operation answered without a
// credential, and the conventions' errors (404, 405, 413, 415, 400),
// hold to the document (openapitest.Handler checks them when the test
// ends). The httpapi and client tests check the authenticated traffic.
func TestUnauthenticatedAnswersMatch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(openapitest.Handler(t, open(t).Handler()))
	defer srv.Close()
	big := `{"username":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, c := range []struct {
		method, path, ctype, body string
		status                    int
	}{
		{"GET", "/healthz", "", "", 200},
		{"HEAD", "/healthz", "", "", 200},
		{"GET", "/readyz", "", "", 200},
		{"GET", "/metrics", "", "", 200},
		{"GET", "/.well-known/jwks.json", "", "", 200},
		{"HEAD", "/.well-known/jwks.json", "", "", 200},
		{"GET", "/.well-known/openid-configuration", "", "", 200},
		{"GET", "/v1/openapi.yaml", "", "", 200},
		{"GET", "/v1/me", "", "", 401},
		{"GET", "/v1/sessions", "", "", 401},
		{"GET", "/v1/verify", "", "", 401},
		{"GET", "/v1/csrf", "", "", 401},
		{"POST", "/v1/introspect", "application/x-www-form-urlencoded", "token=x", 401},
		{"POST", "/v1/revoke", "application/x-www-form-urlencoded", "token=x", 200},
		{"POST", "/v1/revoke", "application/x-www-form-urlencoded", "", 400},
		{"POST", "/v1/token/refresh", "application/json", `{"refresh_token":"nope"}`, 401},
		{"POST", "/v1/signup", "application/json", `{"username":"a"}`, 400},
		{"POST", "/v1/signup", "text/plain", `{"username":"abc","password":"correct horse"}`, 415},
		{"POST", "/v1/signup", "application/json", big, 413},
		{"POST", "/v1/login", "application/json", `{"username":"nobody","password":"whatever1"}`, 401},
		{"GET", "/v1/signup", "", "", 405},
		{"GET", "/v1/nothing-here", "", "", 404},
		{"GET", "/v1/admin/users/x/sessions", "", "", 401},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, res.StatusCode, c.status, b)
			continue
		}
	}
}

// TestDocumentIsValidOpenAPI31: the document passes the OpenAPI 3.1
// meta-schema (libopenapi-validator).
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	if err := openapitest.ValidateDocument(); err != nil {
		t.Fatal(err)
	}
}
