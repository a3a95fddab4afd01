package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/openapi/openapitest"
)

// checkedHandler holds every answer of this package's end-to-end tests —
// the error cases included — to docs/openapi.yaml when the test ends.
func checkedHandler(t *testing.T, h http.Handler) http.Handler { return openapitest.Handler(t, h) }
