package dpopinterop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// node is a real Gatehouse (SQLite in a temp dir) whose issuer is its own
// URL, so proofs name it as a client would.
func node(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.Config(t)
	c.Issuer = "http://" + ln.Addr().String()
	c.RateIPBurst, c.RateUserBurst = 0, 0
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv.URL
}

func send(t *testing.T, method, url, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// TestNodeProofsAtTheServer: a client made of panva's dpop (ES256) or jose
// (EdDSA) logs in to a real node with its proof and gets a pair bound to
// its key (cnf.jkt is the thumbprint Node computes); its proofs with ath
// are accepted by GET /v1/me and its refresh by POST /v1/token/refresh; a
// replayed proof is refused.
func TestNodeProofsAtTheServer(t *testing.T) {
	t.Parallel()
	prover := startScript(t, nodeDir(t), "prover.mjs")
	url := node(t)
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			name := "node-" + strings.ToLower(alg)
			creds := `{"username":"` + name + `","password":"correct horse battery"}`
			if st, m := send(t, "POST", url+"/v1/signup", creds); st != 201 {
				t.Fatalf("signup %d %v", st, m)
			}
			p := prover.prove(proofReq{Alg: alg, HTM: "POST", HTU: url + "/v1/login"})
			st, m := send(t, "POST", url+"/v1/login", creds, "DPoP", p.Proof)
			if st != 200 || m["token_type"] != "DPoP" {
				t.Fatalf("login with Node's proof: %d %v", st, m)
			}
			at, rt := m["access_token"].(string), m["refresh_token"].(string)
			if jkt := cnf(t, at); jkt != p.JKT {
				t.Fatalf("cnf.jkt %q, Node's thumbprint %q", jkt, p.JKT)
			}
			me := prover.prove(proofReq{Alg: alg, HTM: "GET", HTU: url + "/v1/me", AccessToken: at})
			if st, m := send(t, "GET", url+"/v1/me", "", "Authorization", "DPoP "+at, "DPoP", me.Proof); st != 200 {
				t.Fatalf("GET /v1/me with Node's proof: %d %v", st, m)
			}
			if st, m := send(t, "GET", url+"/v1/me", "", "Authorization", "DPoP "+at, "DPoP", me.Proof); st != 401 || m["error"] != "invalid_dpop_proof" {
				t.Fatalf("replayed proof: %d %v", st, m)
			}
			ref := prover.prove(proofReq{Alg: alg, HTM: "POST", HTU: url + "/v1/token/refresh"})
			if st, m := send(t, "POST", url+"/v1/token/refresh", `{"refresh_token":"`+rt+`"}`, "DPoP", ref.Proof); st != 200 || m["token_type"] != "DPoP" {
				t.Fatalf("refresh with Node's proof: %d %v", st, m)
			}
		})
	}
}

func cnf(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Cnf.JKT
}
