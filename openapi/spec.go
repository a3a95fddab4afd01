package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is the parsed document.
type Spec struct {
	doc   map[string]any
	paths []string // templates, as in the document
}

// methods of an OpenAPI path item, lower case.
var methods = []string{"get", "head", "post", "put", "patch", "delete", "options", "trace"}

// Load parses the embedded document.
func Load() (*Spec, error) { return Parse(YAML) }

// Parse parses a document.
func Parse(b []byte) (*Spec, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, errors.New("openapi: no paths")
	}
	s := &Spec{doc: doc}
	for p := range paths {
		s.paths = append(s.paths, p)
	}
	sort.Strings(s.paths)
	return s, nil
}

// Operations lists every "METHOD /path" the document describes, sorted.
func (s *Spec) Operations() []string {
	var out []string
	for _, p := range s.paths {
		item := s.pathItem(p)
		for _, m := range methods {
			if _, ok := item[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ErrorCodes is the enum of the Error schema's error member, sorted.
func (s *Spec) ErrorCodes() []string {
	var out []string
	for _, v := range asSlice(dig(s.doc, "components", "schemas", "Error", "properties", "error", "enum")) {
		if c, ok := v.(string); ok {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Spec) pathItem(p string) map[string]any {
	m, _ := dig(s.doc, "paths", p).(map[string]any)
	return m
}

// match finds the template of a concrete path: a {param} segment matches
// one non-empty segment.
func (s *Spec) match(path string) (string, bool) {
	if slices.Contains(s.paths, path) {
		return path, true
	}
	segs := strings.Split(path, "/")
	for _, p := range s.paths {
		ts := strings.Split(p, "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i, t := range ts {
			if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
				ok = ok && segs[i] != ""
			} else {
				ok = ok && t == segs[i]
			}
		}
		if ok {
			return p, true
		}
	}
	return "", false
}

// CheckResponse holds one real answer to the document: the operation and
// status must be described, the headers the description marks required
// present, and a JSON body valid against its schema. A 405 for a method
// the path does not serve is checked against the Error schema.
func (s *Spec) CheckResponse(method, path string, status int, header http.Header, body []byte) error {
	tmpl, ok := s.match(path)
	if !ok {
		if status == http.StatusNotFound {
			return s.checkErrorBody(body)
		}
		return fmt.Errorf("%s %s: no such path in the document", method, path)
	}
	op, ok := s.pathItem(tmpl)[strings.ToLower(method)].(map[string]any)
	if !ok {
		if status == http.StatusMethodNotAllowed {
			return s.checkErrorBody(body)
		}
		return fmt.Errorf("%s %s: no such operation in the document", method, tmpl)
	}
	resp, err := s.response(op, status)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, tmpl, err)
	}
	if err := s.checkHeaders(resp, header); err != nil {
		return fmt.Errorf("%s %s → %d: %w", method, tmpl, status, err)
	}
	if method == http.MethodHead || status == http.StatusNoContent {
		return nil
	}
	if err := s.checkBody(resp, header.Get("Content-Type"), body); err != nil {
		return fmt.Errorf("%s %s → %d: %w", method, tmpl, status, err)
	}
	return nil
}

func (s *Spec) checkErrorBody(body []byte) error {
	return s.checkJSON(map[string]any{"$ref": "#/components/schemas/Error"}, body)
}

// response is the operation's response for status: the exact code, then
// "4XX"-style ranges, then default.
func (s *Spec) response(op map[string]any, status int) (map[string]any, error) {
	rs, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	for _, k := range []string{code, code[:1] + "XX", "default"} {
		if r, ok := rs[k]; ok {
			m, _ := s.deref(r).(map[string]any)
			return m, nil
		}
	}
	return nil, fmt.Errorf("status %d is not described", status)
}

func (s *Spec) checkHeaders(resp map[string]any, h http.Header) error {
	hs, _ := resp["headers"].(map[string]any)
	for name, v := range hs {
		hd, _ := s.deref(v).(map[string]any)
		if req, _ := hd["required"].(bool); req && h.Get(name) == "" {
			return fmt.Errorf("header %s is missing", name)
		}
	}
	return nil
}

func (s *Spec) checkBody(resp map[string]any, ctype string, body []byte) error {
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("a body was sent where none is described: %.80q", body)
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", ctype, err)
	}
	media, ok := content[mt].(map[string]any)
	if !ok {
		return fmt.Errorf("Content-Type %s is not described", mt)
	}
	if mt != "application/json" {
		return nil
	}
	schema, ok := media["schema"]
	if !ok {
		return nil
	}
	return s.checkJSON(schema, body)
}

func (s *Spec) checkJSON(schema any, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return s.Validate(schema, v)
}

// Validate checks a decoded JSON value (encoding/json's types) against a
// schema of the document's subset.
func (s *Spec) Validate(schema, v any) error { return s.validate(schema, v, "$") }

func (s *Spec) validate(schema, v any, at string) error {
	sc, ok := s.deref(schema).(map[string]any)
	if !ok {
		return nil // true / {}: anything
	}
	if t, ok := sc["type"]; ok {
		if err := checkType(t, v, at); err != nil {
			return err
		}
	}
	if c, ok := sc["const"]; ok && !same(c, v) {
		return fmt.Errorf("%s: %v is not %v", at, v, c)
	}
	if e, ok := sc["enum"]; ok && !slices.ContainsFunc(asSlice(e), func(x any) bool { return same(x, v) }) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, e)
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		alts := asSlice(sc[key])
		if len(alts) == 0 {
			continue
		}
		n := 0
		var errs []error
		for _, alt := range alts {
			if err := s.validate(alt, v, at); err != nil {
				errs = append(errs, err)
			} else {
				n++
			}
		}
		if n == 0 || (key == "oneOf" && n > 1) {
			return fmt.Errorf("%s: %d of the %s alternatives match: %w", at, n, key, errors.Join(errs...))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return s.validateObject(sc, x, at)
	case []any:
		if items, ok := sc["items"]; ok {
			for i, e := range x {
				if err := s.validate(items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Spec) validateObject(sc map[string]any, x map[string]any, at string) error {
	for _, r := range asSlice(sc["required"]) {
		if _, ok := x[r.(string)]; !ok {
			return fmt.Errorf("%s: member %q is required", at, r)
		}
	}
	props, _ := sc["properties"].(map[string]any)
	for k, val := range x {
		if p, ok := props[k]; ok {
			if err := s.validate(p, val, at+"."+k); err != nil {
				return err
			}
			continue
		}
		switch ap := sc["additionalProperties"].(type) {
		case bool:
			if !ap {
				return fmt.Errorf("%s: member %q is not described", at, k)
			}
		case map[string]any:
			if err := s.validate(ap, val, at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// deref follows a local $ref ("#/components/schemas/User").
func (s *Spec) deref(v any) any {
	for range 16 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v
		}
		v = dig(s.doc, strings.Split(ref[2:], "/")...)
	}
	return v
}

func checkType(t any, v any, at string) error {
	types := asSlice(t)
	if s, ok := t.(string); ok {
		types = []any{s}
	}
	for _, x := range types {
		if isType(x.(string), v) {
			return nil
		}
	}
	return fmt.Errorf("%s: %T %v is not of type %v", at, v, v, t)
}

func isType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

// same compares a YAML scalar with a JSON one (YAML gives int, JSON
// float64).
func same(a, b any) bool {
	if i, ok := a.(int); ok {
		a = float64(i)
	}
	return a == b
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
