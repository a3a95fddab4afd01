package gateway_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/dpop"
)

// dpopUser signs name up and logs in with a DPoP proof by a new key (on
// the node's clock): the key and the bound access token.
func (e *env) dpopUser(name, alg string) (*dpop.Signer, string) {
	e.t.Helper()
	expect(e.t, e.do("POST", "/v1/signup", map[string]string{"username": name, "password": "correct horse battery"}), 201, "")
	s, err := dpop.GenerateSigner(alg)
	if err != nil {
		e.t.Fatal(err)
	}
	s.Now = e.clock.Now
	proof, err := s.Sign("POST", e.url+"/v1/login", "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	r := e.do("POST", "/v1/login", map[string]string{"username": name, "password": "correct horse battery"}, "DPoP", proof)
	expect(e.t, r, 200, "")
	if tt := r.json(e.t)["token_type"]; tt != "DPoP" {
		e.t.Fatalf("token_type %v", tt)
	}
	return s, r.json(e.t)["access_token"].(string)
}

func proofFor(t *testing.T, s *dpop.Signer, method, url, tok string) string {
	t.Helper()
	p, err := s.Sign(method, url, dpop.AccessTokenHash(tok), "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGatewayDPoP: the gateway checks the proof of a DPoP-bound token
// itself before forwarding: a fresh proof for the request passes and the
// upstream gets its usual short-lived bearer token (unbound, not the
// client's) and no DPoP header; a replayed proof, a proof for another URL
// or by another key, no proof, or the bound token as a bearer token are
// refused with API.md's codes and challenges, and nothing is forwarded.
func TestGatewayDPoP(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/api/", up.URL+"/")}, nil)
	type user struct {
		key *dpop.Signer
		tok string
	}
	users := map[string]user{}
	for _, alg := range []string{"EdDSA", "ES256"} {
		key, tok := e.dpopUser("dpop-"+strings.ToLower(alg), alg)
		users[alg] = user{key, tok}
	}
	for _, alg := range []string{"EdDSA", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			key, tok := users[alg].key, users[alg].tok
			other, _ := dpop.GenerateSigner(alg)
			other.Now = e.clock.Now
			url := e.url + "/api/things"
			good := proofFor(t, key, "GET", url, tok)
			r := e.do("GET", "/api/things?x=1", nil, "Authorization", "DPoP "+tok, "DPoP", good)
			expect(t, r, 200, "")
			got := up.last(t)
			auth := got.Header.Get("Authorization")
			if !strings.HasPrefix(auth, "Bearer ") || strings.TrimPrefix(auth, "Bearer ") == tok {
				t.Fatalf("upstream Authorization %q, want a minted bearer token", auth)
			}
			if claims := jwtPayload(t, strings.TrimPrefix(auth, "Bearer ")); strings.Contains(claims, `"cnf"`) {
				t.Fatalf("the upstream's token is bound: %s", claims)
			}
			if got.Header.Get("DPoP") != "" {
				t.Fatal("the client's proof reached the upstream")
			}
			const challenge = `DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"`
			for _, tc := range []struct {
				name   string
				hdr    []string
				code   string
				header string
			}{
				{"replayed proof", []string{"Authorization", "DPoP " + tok, "DPoP", good}, "invalid_dpop_proof", challenge},
				{"no proof", []string{"Authorization", "DPoP " + tok}, "invalid_dpop_proof", challenge},
				{"proof for another URL", []string{"Authorization", "DPoP " + tok, "DPoP", proofFor(t, key, "GET", e.url+"/api/other", tok)}, "invalid_dpop_proof", challenge},
				{"proof for the upstream's own URL", []string{"Authorization", "DPoP " + tok, "DPoP", proofFor(t, key, "GET", up.URL+"/things", tok)}, "invalid_dpop_proof", challenge},
				{"proof for another method", []string{"Authorization", "DPoP " + tok, "DPoP", proofFor(t, key, "DELETE", url, tok)}, "invalid_dpop_proof", challenge},
				{"proof by another key", []string{"Authorization", "DPoP " + tok, "DPoP", proofFor(t, other, "GET", url, tok)}, "invalid_dpop_proof", challenge},
				{"two proofs", []string{"Authorization", "DPoP " + tok, "DPoP", proofFor(t, key, "GET", url, tok), "DPoP", proofFor(t, key, "GET", url, tok)}, "invalid_dpop_proof", challenge},
				{"bound token as bearer (no downgrade)", []string{"Authorization", "Bearer " + tok, "DPoP", proofFor(t, key, "GET", url, tok)}, "invalid_token", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := up.count()
					r := e.do("GET", "/api/things", nil, tc.hdr...)
					expect(t, r, 401, tc.code)
					if tc.header != "" && r.header.Get("WWW-Authenticate") != tc.header {
						t.Fatalf("WWW-Authenticate %q, want %q", r.header.Get("WWW-Authenticate"), tc.header)
					}
					if up.count() != before {
						t.Fatal("a refused request reached the upstream")
					}
				})
			}
		})
	}
}

func jwtPayload(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
