package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/dpop"
)

// nonceServer is a unit-level stand-in for a server that demands DPoP
// nonces: token endpoints answer 400 use_dpop_nonce, the resource /data
// answers 401 with WWW-Authenticate error="use_dpop_nonce" (RFC 9449 §8,
// §9), and every answer carries the current nonce. Proofs are checked by
// package dpop. It counts requests per path.
type nonceServer struct {
	t      *testing.T
	check  *dpop.Checker
	nonces *dpop.Nonces
	mu     sync.Mutex
	hits   map[string]int
	jkt    string
}

func newNonceServer(t *testing.T) (*nonceServer, *httptest.Server) {
	n := dpop.NewNonces([]byte(strings.Repeat("k", 32)), 0, nil)
	s := &nonceServer{t: t, nonces: n, hits: map[string]int{},
		check: dpop.New(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil), Nonce: n})}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *nonceServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *nonceServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	w.Header().Set("DPoP-Nonce", s.nonces.Current())
	w.Header().Set("Content-Type", "application/json")
	req := dpop.Request{Method: r.Method, URL: "http://" + r.Host + r.URL.Path, Header: r.Header.Values("DPoP")}
	if r.URL.Path == "/data" {
		req.AccessToken = strings.TrimPrefix(r.Header.Get("Authorization"), "DPoP ")
		req.JKT = s.jkt
	}
	p, err := s.check.Check(r.Context(), req)
	switch {
	case errors.Is(err, dpop.ErrUseNonce) && r.URL.Path == "/data":
		w.Header().Set("WWW-Authenticate", dpop.Challenge("use_dpop_nonce"))
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":"use_dpop_nonce","message":"nonce"}`))
		return
	case errors.Is(err, dpop.ErrUseNonce):
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"error":"use_dpop_nonce","message":"nonce"}`))
		return
	case err != nil:
		w.WriteHeader(400)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_dpop_proof", "message": err.Error()})
		return
	}
	if r.URL.Path == "/data" {
		_, _ = w.Write([]byte(`{}`))
		return
	}
	s.mu.Lock()
	s.jkt = p.JKT
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(client.TokenPair{AccessToken: "at-" + p.JTI, TokenType: "DPoP", RefreshToken: "rt", SessionID: "s", DeviceID: "d"})
}

// TestDPoPNonceRetries (unit level, against a stand-in): the first login
// is refused for want of a nonce and retried once with the nonce it was
// given; the nonce is remembered, so the refresh and resource requests
// after it cost no extra round trip; a resource server's 401
// use_dpop_nonce is retried too.
func TestDPoPNonceRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, srv := newNonceServer(t)
	c := client.New(srv.URL, client.WithDPoP(""))
	p := must[*client.TokenPair](t)(c.Login(ctx, "alice", pw))
	if p.TokenType != "DPoP" || s.count("/v1/login") != 2 {
		t.Fatalf("token type %q after %d login requests, want DPoP after 2", p.TokenType, s.count("/v1/login"))
	}
	must[*client.TokenPair](t)(c.Refresh(ctx))
	if n := s.count("/v1/token/refresh"); n != 1 {
		t.Fatalf("%d refresh requests, want 1 (the nonce was known)", n)
	}
	hc := &http.Client{Transport: c.Transport()}
	res := must[*http.Response](t)(hc.Get(srv.URL + "/data"))
	res.Body.Close()
	if res.StatusCode != 200 || s.count("/data") != 1 {
		t.Fatalf("resource: %d after %d requests", res.StatusCode, s.count("/data"))
	}

	// A resource server with a nonce of its own: the first request is
	// refused with 401 and retried once with its nonce.
	s2, srv2 := newNonceServer(t)
	s2.jkt = s.jkt
	res = must[*http.Response](t)(hc.Get(srv2.URL + "/data"))
	res.Body.Close()
	if res.StatusCode != 200 || s2.count("/data") != 2 {
		t.Fatalf("second resource server: %d after %d requests, want 200 after 2", res.StatusCode, s2.count("/data"))
	}
}

// TestDPoPNonceRetriedOnce: a server that demands a new nonce every time
// gets exactly one retry, and the caller ErrUseDPoPNonce: no loop.
func TestDPoPNonceRetriedOnce(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hits, n := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		n++
		w.Header().Set("DPoP-Nonce", "nonce-"+strings.Repeat("x", n))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"error":"use_dpop_nonce","message":"nonce"}`))
	}))
	defer srv.Close()
	c := client.New(srv.URL, client.WithDPoP(client.DPoPES256))
	_, err := c.Login(context.Background(), "alice", pw)
	wantErr(t, err, client.ErrUseDPoPNonce, 400)
	if hits != 2 {
		t.Fatalf("%d login requests, want 2 (one retry)", hits)
	}
}
