package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/token"
	"github.com/gatehouse/gatehouse/verifier"
)

// mint is an access token of e's issuer for sid, bound to jkt when not "".
func (e *benchEnv) mint(t testing.TB, sid, jkt string, exp time.Time) string {
	t.Helper()
	now := time.Now()
	tok, err := token.Mint(e.key, &token.Claims{Issuer: issuer, Subject: "user-" + sid, Audience: "gatehouse",
		ID: "jti-" + sid, SessionID: sid, Username: "alice", IssuedAt: now.Add(-time.Minute), NotBefore: now.Add(-time.Minute),
		ExpiresAt: exp, AuthTime: now, Roles: []string{"user"}, JKT: jkt})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// countingReplay counts the replay cache's uses (each would be a store
// round trip for a shared cache).
type countingReplay struct {
	dpop.ReplayCache
	uses atomic.Int64
}

func (c *countingReplay) Use(ctx context.Context, jti, jkt string, until time.Time) (bool, error) {
	c.uses.Add(1)
	return c.ReplayCache.Use(ctx, jti, jkt, until)
}

type failingReplay struct{}

func (failingReplay) Use(context.Context, string, string, time.Time) (bool, error) {
	return false, errors.New("replay store down")
}

func dpopVerifier(t *testing.T, e *benchEnv, mutate func(*verifier.Options)) *verifier.Verifier {
	t.Helper()
	o := verifier.Options{Issuer: issuer, Audience: "gatehouse", JWKSURL: e.jwks.URL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mutate != nil {
		mutate(&o)
	}
	v, err := verifier.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func sign(t testing.TB, s *dpop.Signer, htm, htu, tok string) string {
	t.Helper()
	ath := ""
	if tok != "" {
		ath = dpop.AccessTokenHash(tok)
	}
	p, err := s.Sign(htm, htu, ath, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMiddlewareDPoP: every way of presenting a DPoP-bound or unbound
// token, and every hostile variant of the proof, gets the status, code and
// WWW-Authenticate challenge of API.md; only a fresh proof by the bound key
// for this request and token is admitted.
func TestMiddlewareDPoP(t *testing.T) {
	t.Parallel()
	e := newBenchEnv(t)
	replay := &countingReplay{ReplayCache: dpop.NewMemoryReplay(0, nil)}
	v := dpopVerifier(t, e, func(o *verifier.Options) { o.DPoPReplay = replay })
	key := must(dpop.GenerateSigner(token.AlgEdDSA))
	es := must(dpop.GenerateSigner(token.AlgES256))
	other := must(dpop.GenerateSigner(token.AlgEdDSA))
	old := must(dpop.GenerateSigner(token.AlgEdDSA))
	old.Now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	exp := time.Now().Add(time.Hour)
	bound := e.mint(t, "bound", key.JKT(), exp)
	boundES := e.mint(t, "bound-es", es.JKT(), exp)
	oldBound := e.mint(t, "old-bound", old.JKT(), exp)
	unbound := e.mint(t, "unbound", "", exp)
	expired := e.mint(t, "expired", key.JKT(), time.Now().Add(-time.Minute))
	const url = "http://api.example/things"
	reused := sign(t, key, "GET", url, bound)

	var seen string
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.ClaimsFrom(r.Context())
		seen = c.SessionID
	}))
	const (
		proofChallenge = `DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"`
		dpopInvalid    = `Bearer error="invalid_token"` // as Gatehouse's endpoints answer
		bearerInvalid  = `Bearer error="invalid_token"`
	)
	for _, tc := range []struct {
		name      string
		method    string
		hdr       http.Header
		status    int
		code      string
		challenge string
	}{
		{"bound token with a fresh proof", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {reused}}, 200, "", ""},
		{"the same proof again", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {reused}}, 401, "invalid_dpop_proof", proofChallenge},
		{"scheme in any case", "GET", http.Header{"Authorization": {"dPoP " + bound}, "Dpop": {sign(t, key, "GET", url, bound)}}, 200, "", ""},
		{"ES256 key", "GET", http.Header{"Authorization": {"DPoP " + boundES}, "Dpop": {sign(t, es, "GET", url, boundES)}}, 200, "", ""},
		{"POST with a POST proof", "POST", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "POST", url, bound)}}, 200, "", ""},
		{"no proof", "GET", http.Header{"Authorization": {"DPoP " + bound}}, 401, "invalid_dpop_proof", proofChallenge},
		{"two proofs", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", url, bound), sign(t, key, "GET", url, bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof for another URL", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", "http://api.example/other", bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof for another host", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", "http://evil.example/things", bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof for https, request over http", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", "https://api.example/things", bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof for another method", "DELETE", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", url, bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof by another key", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, other, "GET", url, bound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof without ath", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", url, "")}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof with another token's ath", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {sign(t, key, "GET", url, unbound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"proof two minutes old", "GET", http.Header{"Authorization": {"DPoP " + oldBound}, "Dpop": {sign(t, old, "GET", url, oldBound)}}, 401, "invalid_dpop_proof", proofChallenge},
		{"garbage proof", "GET", http.Header{"Authorization": {"DPoP " + bound}, "Dpop": {"a.b.c"}}, 401, "invalid_dpop_proof", proofChallenge},
		{"bound token as bearer (no downgrade)", "GET", http.Header{"Authorization": {"Bearer " + bound}, "Dpop": {sign(t, key, "GET", url, bound)}}, 401, "invalid_token", bearerInvalid},
		{"bound token as cookie", "GET", http.Header{"Cookie": {"gatehouse_at=" + bound}, "Dpop": {sign(t, key, "GET", url, bound)}}, 401, "invalid_token", bearerInvalid},
		{"unbound token under DPoP", "GET", http.Header{"Authorization": {"DPoP " + unbound}, "Dpop": {sign(t, key, "GET", url, unbound)}}, 401, "invalid_token", dpopInvalid},
		{"unbound token as bearer", "GET", http.Header{"Authorization": {"Bearer " + unbound}}, 200, "", ""},
		{"expired bound token", "GET", http.Header{"Authorization": {"DPoP " + expired}, "Dpop": {sign(t, key, "GET", url, expired)}}, 401, "token_expired", dpopInvalid},
		{"DPoP scheme without a space", "GET", http.Header{"Authorization": {"DPoP\t" + bound}, "Dpop": {sign(t, key, "GET", url, bound)}}, 401, "invalid_token", bearerInvalid},
		{"DPoP scheme, garbage token", "GET", http.Header{"Authorization": {"DPoP abc"}, "Dpop": {sign(t, key, "GET", url, "abc")}}, 401, "invalid_token", dpopInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = ""
			req := httptest.NewRequest(tc.method, url+"?q=1", nil)
			req.Header = tc.hdr
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rec.Code, tc.status, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.status == 200 {
				if seen == "" {
					t.Fatal("the handler did not see the claims")
				}
				return
			}
			if seen != "" {
				t.Fatal("the handler ran for a refused request")
			}
			var m map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["error"] != tc.code || m["message"] == "" {
				t.Fatalf("body %s, want error %s", rec.Body, tc.code)
			}
		})
	}
	// The replay cache is in memory and asked once per DPoP request whose
	// token verified and whose proof matched: it never costs a round trip
	// to anything, and bearer requests never touch it.
	before := replay.uses.Load()
	for range 10 {
		req := httptest.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+unbound)
		h.ServeHTTP(httptest.NewRecorder(), req)
		req = httptest.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "DPoP "+bound)
		req.Header.Set("DPoP", sign(t, key, "GET", url, bound))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	if n := replay.uses.Load() - before; n != 10 {
		t.Fatalf("%d replay cache uses for 10 DPoP and 10 bearer requests, want 10", n)
	}
}

// TestMiddlewareDPoPPublicURL: behind a proxy, proofs name the public URL
// (PublicURL, with the prefix the proxy strips); the address the server
// sees and X-Forwarded-* headers count for nothing.
func TestMiddlewareDPoPPublicURL(t *testing.T) {
	t.Parallel()
	e := newBenchEnv(t)
	v := dpopVerifier(t, e, func(o *verifier.Options) { o.PublicURL = "https://example.com/api/" })
	key := must(dpop.GenerateSigner(token.AlgEdDSA))
	bound := e.mint(t, "s", key.JKT(), time.Now().Add(time.Hour))
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		name, htu string
		fwd       bool
		status    int
	}{
		{"public URL", "https://example.com/api/things", false, 200},
		{"public URL, default port spelt out", "https://EXAMPLE.com:443/api/things", false, 200},
		{"the address the server sees", "http://10.0.0.7:8080/things", false, 401},
		{"public URL without the prefix", "https://example.com/things", false, 401},
		{"forwarded headers name another host", "https://evil.example/api/things", true, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://10.0.0.7:8080/things", nil)
			req.Header.Set("Authorization", "DPoP "+bound)
			req.Header.Set("DPoP", sign(t, key, "GET", tc.htu, bound))
			if tc.fwd {
				req.Header.Set("X-Forwarded-Host", "evil.example")
				req.Header.Set("X-Forwarded-Proto", "https")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
	if _, err := verifier.New(context.Background(), verifier.Options{Issuer: issuer, Audience: "gatehouse", JWKSURL: e.jwks.URL, PublicURL: "https://example.com/api?x=1"}); err == nil {
		t.Fatal("a PublicURL with a query was accepted")
	}
}

// TestMiddlewareDPoPReplayRace: one proof sent by 16 goroutines at once is
// admitted exactly once; a replay cache that cannot answer is 503, never a
// pass.
func TestMiddlewareDPoPReplayRace(t *testing.T) {
	t.Parallel()
	e := newBenchEnv(t)
	v := dpopVerifier(t, e, nil)
	key := must(dpop.GenerateSigner(token.AlgEdDSA))
	bound := e.mint(t, "s", key.JKT(), time.Now().Add(time.Hour))
	const url = "http://api.example/x"
	proof := sign(t, key, "GET", url, bound)
	var admitted atomic.Int64
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { admitted.Add(1) }))
	var wg sync.WaitGroup
	codes := make(chan int, 16)
	for range 16 {
		wg.Go(func() {
			req := httptest.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "DPoP "+bound)
			req.Header.Set("DPoP", proof)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			codes <- rec.Code
		})
	}
	wg.Wait()
	close(codes)
	n401 := 0
	for c := range codes {
		if c == 401 {
			n401++
		}
	}
	if admitted.Load() != 1 || n401 != 15 {
		t.Fatalf("%d admitted and %d refused, want 1 and 15", admitted.Load(), n401)
	}

	down := dpopVerifier(t, e, func(o *verifier.Options) { o.DPoPReplay = failingReplay{} })
	req := httptest.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "DPoP "+bound)
	req.Header.Set("DPoP", sign(t, key, "GET", url, bound))
	rec := httptest.NewRecorder()
	down.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("admitted") })).ServeHTTP(rec, req)
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("replay cache down: %d %s", rec.Code, rec.Body)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestMiddlewareDPoPWithGatehouse: a token a real Gatehouse node bound to
// a client's key at login passes the middleware with that client's proof
// for the resource server's URL, and nothing else does.
func TestMiddlewareDPoPWithGatehouse(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	v := g.verifier(nil)
	key := must(dpop.GenerateSigner(token.AlgEdDSA))
	name := "dpop-user"
	if _, err := client.New(g.srv.URL).Signup(context.Background(), name, "correct horse battery"); err != nil {
		t.Fatalf("signup: %v", err)
	}
	body, _ := json.Marshal(map[string]string{"username": name, "password": "correct horse battery"})
	req, _ := http.NewRequest("POST", g.srv.URL+"/v1/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("DPoP", sign(t, key, "POST", issuer+"/v1/login", "")) // Gatehouse checks htu against its issuer
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pair map[string]any
	_ = json.NewDecoder(res.Body).Decode(&pair)
	res.Body.Close()
	if res.StatusCode != 200 || pair["token_type"] != "DPoP" {
		t.Fatalf("DPoP login: %d %v", res.StatusCode, pair)
	}
	tok := pair["access_token"].(string)
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		name, auth, proof string
		status            int
	}{
		{"bound token with its proof", "DPoP " + tok, sign(t, key, "GET", "https://api.example/orders", tok), 200},
		{"a proof for Gatehouse instead", "DPoP " + tok, sign(t, key, "GET", issuer+"/v1/me", tok), 401},
		{"as a bearer token", "Bearer " + tok, "", 401},
	} {
		r := httptest.NewRequest("GET", "https://api.example/orders", nil)
		r.Header.Set("Authorization", tc.auth)
		if tc.proof != "" {
			r.Header.Set("DPoP", tc.proof)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Fatalf("%s: %d, want %d: %s", tc.name, rec.Code, tc.status, rec.Body)
		}
	}
}
