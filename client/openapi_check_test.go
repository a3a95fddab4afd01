package client_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/openapi"
)

// checkExchanges holds every answer a test received to the OpenAPI
// document (openapi/openapi.yaml): described status, required headers, and
// a body valid against the schema. The client tests are the project's
// end-to-end tests, so this is the document checked against real traffic.
func checkExchanges(t *testing.T, xs []exchange) {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) == 0 {
		t.Fatal("no traffic recorded")
	}
	for _, x := range xs {
		if err := spec.CheckResponse(x.method, x.path, x.status, x.header, x.body); err != nil {
			t.Errorf("answer does not match openapi.yaml: %v\nbody: %.300s", err, x.body)
		}
	}
}
