package openapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/openapi"
)

const tiny = `
openapi: 3.1.0
paths:
  /v1/things/{id}:
    get:
      responses:
        "200":
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "401":
          headers:
            WWW-Authenticate: {required: true, schema: {type: string}}
          content:
            application/json:
              schema: {type: object}
        "202": {description: none}
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [id, kind]
      properties:
        id: {type: string}
        kind: {enum: [a, b]}
        n: {type: integer}
        tags: {type: array, items: {type: string}}
        either: {oneOf: [{type: string}, {type: integer}]}
        token_type: {const: Bearer}
`

// TestCheckerRefusesWhatTheSchemaRefuses: the checker is not vacuous.
func TestCheckerRefusesWhatTheSchemaRefuses(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Parse([]byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, c := range []struct {
		name, path string
		status     int
		header     http.Header
		body       string
		bad        string // "" when valid; else a word of the error
	}{
		{"valid", "/v1/things/1", 200, js, `{"id":"1","kind":"a","n":3,"tags":["x"],"either":2,"token_type":"Bearer"}`, ""},
		{"missing required", "/v1/things/1", 200, js, `{"id":"1"}`, "required"},
		{"undescribed member", "/v1/things/1", 200, js, `{"id":"1","kind":"a","extra":1}`, "not described"},
		{"wrong type", "/v1/things/1", 200, js, `{"id":1,"kind":"a"}`, "type"},
		{"not an integer", "/v1/things/1", 200, js, `{"id":"1","kind":"a","n":1.5}`, "type"},
		{"enum", "/v1/things/1", 200, js, `{"id":"1","kind":"c"}`, "one of"},
		{"const", "/v1/things/1", 200, js, `{"id":"1","kind":"a","token_type":"DPoP"}`, "is not"},
		{"array items", "/v1/things/1", 200, js, `{"id":"1","kind":"a","tags":[1]}`, "type"},
		{"oneOf none", "/v1/things/1", 200, js, `{"id":"1","kind":"a","either":true}`, "oneOf"},
		{"status not described", "/v1/things/1", 500, js, `{}`, "not described"},
		{"unknown path", "/v1/other", 200, js, `{}`, "no such path"},
		{"required header", "/v1/things/1", 401, js, `{}`, "WWW-Authenticate"},
		{"other media type", "/v1/things/1", 200, http.Header{"Content-Type": {"text/html"}}, `<p>`, "text/html"},
		{"body where none", "/v1/things/1", 202, nil, `x`, "no"},
		{"empty segment", "/v1/things/", 200, js, `{"id":"1","kind":"a"}`, "no such path"},
	} {
		err := spec.CheckResponse("GET", c.path, c.status, c.header, []byte(c.body))
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%s: err = %v, want one mentioning %q", c.name, err, c.bad)
		}
	}
	var v any
	_ = json.Unmarshal([]byte(`{"id":"x","kind":"b"}`), &v)
	if err := spec.Validate(map[string]any{"$ref": "#/components/schemas/Thing"}, v); err != nil {
		t.Fatal(err)
	}
}
