package dpopinterop_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

// recorder is a stand-in server that keeps every DPoP header the client
// sends and answers a login with a DPoP-bound pair: jose checks the
// proofs afterwards, with nothing of Gatehouse's checker involved.
type recorder struct {
	mu     sync.Mutex
	proofs []sent
}

type sent struct {
	method, path, proof, auth string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	r.mu.Lock()
	r.proofs = append(r.proofs, sent{req.Method, req.URL.Path, req.Header.Get("DPoP"), req.Header.Get("Authorization")})
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch req.URL.Path {
	case "/v1/login":
		_ = json.NewEncoder(w).Encode(client.TokenPair{AccessToken: "at-" + strings.Repeat("x", 40), TokenType: "DPoP", ExpiresIn: 900, RefreshToken: "rt", SessionID: "s", DeviceID: "d"})
	default:
		_, _ = io.WriteString(w, `{"user":{"id":"u","username":"alice","roles":[],"created_at":"2026-01-01T00:00:00Z"},"session":{"id":"s"}}`)
	}
}

// TestGoClientProofsPassJose: the proofs Gatehouse's Go client signs, with
// EdDSA and with ES256, at a token endpoint and with an access token, are
// accepted by panva's jose as RFC 9449 proofs (signature by the embedded
// jwk, typ, no private members, htm, htu, iat, ath), and jose's RFC 7638
// thumbprint of the key is the client's.
func TestGoClientProofsPassJose(t *testing.T) {
	t.Parallel()
	jose := startScript(t, nodeDir(t), "verifier.mjs")
	for _, alg := range []client.DPoPAlg{client.DPoPEdDSA, client.DPoPES256} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			c := client.New(srv.URL, client.WithDPoP(alg))
			if _, err := c.Login(ctx, "alice", "correct horse battery"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Me(ctx); err != nil {
				t.Fatal(err)
			}
			tok, err := c.Tokens().Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			jkt, err := tok.DPoPThumbprint()
			if err != nil || jkt == "" {
				t.Fatalf("thumbprint %q, %v", jkt, err)
			}
			if len(rec.proofs) != 2 {
				t.Fatalf("%d requests, want login and me", len(rec.proofs))
			}
			for _, s := range rec.proofs {
				access := ""
				if s.path == "/v1/me" {
					access = tok.AccessToken
					if s.auth != "DPoP "+access {
						t.Fatalf("Authorization %q, want the DPoP scheme", s.auth)
					}
				} else if s.auth != "" {
					t.Fatalf("login sent Authorization %q", s.auth)
				}
				var res verifyRes
				jose.call(verifyReq{Proof: s.proof, HTM: s.method, HTU: srv.URL + s.path, AccessToken: access, Now: time.Now().Unix()}, &res)
				if !res.OK {
					t.Fatalf("jose refused the client's %s proof: %s\n%s", s.path, res.Error, s.proof)
				}
				if res.JKT != jkt {
					t.Fatalf("jose's thumbprint %s, the client's %s", res.JKT, jkt)
				}
				if res.Header["alg"] != string(alg) {
					t.Fatalf("alg %v, want %s", res.Header["alg"], alg)
				}
			}
			// jose is not a rubber stamp: the same proof for another URL or
			// token is refused.
			var res verifyRes
			jose.call(verifyReq{Proof: rec.proofs[1].proof, HTM: "GET", HTU: srv.URL + "/v1/sessions", AccessToken: tok.AccessToken, Now: time.Now().Unix()}, &res)
			if res.OK {
				t.Fatal("jose accepted a proof for another URL")
			}
			jose.call(verifyReq{Proof: rec.proofs[1].proof, HTM: "GET", HTU: srv.URL + "/v1/me", AccessToken: tok.AccessToken + "x", Now: time.Now().Unix()}, &res)
			if res.OK {
				t.Fatal("jose accepted a proof for another access token")
			}
		})
	}
}
