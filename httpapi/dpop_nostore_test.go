package httpapi_test

import (
	"net/http"
	"testing"
)

// TestDPoPVerifyNeedsNoStore: on a single node, GET /v1/verify with a
// DPoP-bound token costs no store round trip, the replay cache included:
// with the store closed (every store call would fail and answer 503), fresh
// proofs still pass, over and over (verified-token cache hits), and a
// replayed one is still refused as a replay (401, not 503).
func TestDPoPVerifyNeedsNoStore(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("nadia", "correct horse battery")
	key := e.signer("EdDSA")
	p, _ := e.dpopLogin("nadia", key, "")
	e.app.Store.Close()
	verify := func(pr string) resp {
		return e.send("GET", "/v1/verify", http.Header{"Authorization": {"DPoP " + p.Access}, "Dpop": {pr}}, "")
	}
	var last string
	for range 5 {
		last = proof(t, key, "GET", "/v1/verify", p.Access, "")
		expect(t, verify(last), 200, "")
	}
	expectDPoPRefused(t, verify(last))
	// The store is really gone: a token request needs it.
	expect(t, e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", "")), 503, "unavailable")
}
