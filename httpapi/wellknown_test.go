package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

func TestDiscoveryAndOperations(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	j := e.do("GET", "/.well-known/jwks.json", "", nil)
	expect(t, j, 200, "")
	if !strings.Contains(j.header.Get("Cache-Control"), "max-age=") {
		t.Fatal("JWKS not cacheable")
	}
	keys := j.json(t)["keys"].([]any)
	k := keys[0].(map[string]any)
	if len(keys) != 1 || k["alg"] != "EdDSA" || k["use"] != "sig" || k["kid"] == "" || k["d"] != nil {
		t.Fatalf("jwks %s", j.body)
	}
	o := e.do("GET", "/.well-known/openid-configuration", "", nil)
	expect(t, o, 200, "")
	if o.str(t, "issuer") != "http://gatehouse.test" || o.str(t, "jwks_uri") != "http://gatehouse.test/.well-known/jwks.json" {
		t.Fatalf("openid %s", o.body)
	}
	expect(t, e.do("GET", "/healthz", "", nil), 200, "")
	expect(t, e.do("GET", "/readyz", "", nil), 200, "")
	e.user("cleo")
	m := string(e.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{"gatehouse_logins_total{result=\"ok\"} 1", "gatehouse_revocations", "gatehouse_hash_queue_depth", "gatehouse_http_request_duration_seconds_bucket", "\ngatehouse_sessions "} { // gatehouse_sessions is counted by the sweeper, not per scrape: app tests its value
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestHS256KeysAreNeverPublished(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.SigningAlg = "HS256" })
	if keys := e.do("GET", "/.well-known/jwks.json", "", nil).json(t)["keys"].([]any); len(keys) != 0 {
		t.Fatalf("HS256 key published: %v", keys)
	}
	_, p := e.user("dina")
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 200, "")
}

// TestOpenIDConfigurationAdvertisesOnlyWhatIsServed: no password grant, no
// response type, no ID-token or token-endpoint members; every advertised
// endpoint exists.
func TestOpenIDConfigurationAdvertisesOnlyWhatIsServed(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	o := e.do("GET", "/.well-known/openid-configuration", "", nil)
	expect(t, o, 200, "")
	m := o.json(t)
	allowed := map[string]bool{
		"issuer": true, "jwks_uri": true, "introspection_endpoint": true, "revocation_endpoint": true,
		"revocation_endpoint_auth_methods_supported": true, "response_types_supported": true,
		"grant_types_supported": true, "claims_supported": true, "dpop_signing_alg_values_supported": true,
	}
	for k := range m {
		if !allowed[k] {
			t.Errorf("advertises %q, which Gatehouse does not implement", k)
		}
	}
	for _, k := range []string{"response_types_supported", "grant_types_supported"} {
		if v, ok := m[k].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %v, want [] (no authorization or RFC 6749 token endpoint)", k, m[k])
		}
	}
	if !strings.Contains(string(o.body), `"claims_supported"`) || strings.Contains(string(o.body), "password") {
		t.Errorf("openid-configuration %s", o.body)
	}
	for _, k := range []string{"introspection_endpoint", "revocation_endpoint"} {
		path := strings.TrimPrefix(o.str(t, k), "http://gatehouse.test")
		if r := e.do("POST", path, "", nil); r.status == 404 || r.status == 405 {
			t.Errorf("%s %s answers %d", k, path, r.status)
		}
	}
	if algs, _ := m["dpop_signing_alg_values_supported"].([]any); fmt.Sprint(algs) != "[ES256 EdDSA]" {
		t.Errorf("dpop_signing_alg_values_supported = %v", m["dpop_signing_alg_values_supported"])
	}
	if strings.TrimPrefix(o.str(t, "jwks_uri"), "http://gatehouse.test") != "/.well-known/jwks.json" {
		t.Errorf("jwks_uri %s", o.str(t, "jwks_uri"))
	}
}
