package dpopinterop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/dpop"
)

// TestNodeProofsPassTheChecker: proofs made by panva's dpop (ES256) and
// jose (EdDSA) pass dpop.Checker, at a token endpoint (no ath) and with an
// access token (ath), and the thumbprint the checker computes is the one
// the Node side computes (RFC 7638). A second use of the same proof is a
// replay. dpop 2.x's own Ed25519 proofs say alg "Ed25519" (RFC 9864's
// fully-specified name for EdDSA over Ed25519): accepted as EdDSA.
func TestNodeProofsPassTheChecker(t *testing.T) {
	t.Parallel()
	node := startScript(t, nodeDir(t), "prover.mjs")
	ctx := context.Background()
	check := dpop.New(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
	const htu = "https://auth.example.com/v1/token/refresh"
	for _, tc := range []struct {
		name, alg, access string
		want              error
	}{
		{"panva dpop ES256 at a token endpoint", "ES256", "", nil},
		{"panva dpop ES256 with an access token", "ES256", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", nil},
		{"jose EdDSA at a token endpoint", "EdDSA", "", nil},
		{"jose EdDSA with an access token", "EdDSA", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", nil},
		{"panva dpop Ed25519 (RFC 9864 name)", "Ed25519", "", nil},
		{"panva dpop Ed25519 with an access token", "Ed25519", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := node.prove(proofReq{Alg: tc.alg, HTM: "POST", HTU: htu, AccessToken: tc.access})
			req := dpop.Request{Method: "POST", URL: htu, AccessToken: tc.access, Header: []string{p.Proof}}
			got, err := check.Check(ctx, req)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Node's proof refused: %v\n%s", err, p.Proof)
			}
			if got.JKT != p.JKT {
				t.Fatalf("thumbprint %s, Node computes %s", got.JKT, p.JKT)
			}
			if _, err := check.Check(ctx, req); !errors.Is(err, dpop.ErrReplayed) {
				t.Fatalf("second use: err = %v, want ErrReplayed", err)
			}
			// The same proof for another URL or method is refused.
			other := node.prove(proofReq{Alg: tc.alg, HTM: "POST", HTU: htu, AccessToken: tc.access})
			for _, bad := range []dpop.Request{
				{Method: "GET", URL: htu, AccessToken: tc.access, Header: []string{other.Proof}},
				{Method: "POST", URL: "https://auth.example.com/v1/login", AccessToken: tc.access, Header: []string{other.Proof}},
				{Method: "POST", URL: htu, AccessToken: tc.access + "x", Header: []string{other.Proof}},
			} {
				if _, err := check.Check(ctx, bad); !errors.Is(err, dpop.ErrInvalid) {
					t.Fatalf("%s %s: err = %v, want ErrInvalid", bad.Method, bad.URL, err)
				}
			}
		})
	}
}
