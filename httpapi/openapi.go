package httpapi

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gatehouse/gatehouse/openapi"
)

// openAPI is GET /v1/openapi.yaml: the API's OpenAPI 3.1 description
// (RFC 9512 media type), embedded from package openapi.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(openapi.YAML)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openapi.YAML)
	}
	return nil
}

// handWrittenCodes are the error codes written outside the error table:
// by errorf in handlers and decoding (codes_test.go finds every one in
// the source), and the bare 500 of a panic or an unmapped error.
var handWrittenCodes = []string{"forbidden", "invalid_request", "not_found", "request_too_large", "unavailable", "internal_error"}

// ErrorCodes lists every error code the API can answer, sorted: the error
// table's and the hand-written ones. The OpenAPI test holds the Error
// schema's enum to it.
func ErrorCodes() []string {
	out := append([]string(nil), handWrittenCodes...)
	for _, row := range table {
		out = append(out, row.code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
