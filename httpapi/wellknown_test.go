package httpapi_test

import (
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
	for _, want := range []string{"gatehouse_logins_total{result=\"ok\"} 1", "gatehouse_revocations", "gatehouse_hash_queue_depth", "gatehouse_http_request_duration_seconds_bucket", "gatehouse_sessions 1"} {
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
