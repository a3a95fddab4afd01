package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/dpop"
)

const issuer = "http://gatehouse.test"

const dpopChallenge = `DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"`

// signer is a client's DPoP key on the test clock.
func (e *env) signer(alg string) *dpop.Signer {
	e.t.Helper()
	s, err := dpop.GenerateSigner(alg)
	if err != nil {
		e.t.Fatal(err)
	}
	s.Now = e.clock.Now
	return s
}

// proof signs a proof for method and path on this server; tok is the
// access token it goes with ("" at token endpoints).
func proof(t *testing.T, s *dpop.Signer, method, path, tok, nonce string) string {
	t.Helper()
	ath := ""
	if tok != "" {
		ath = dpop.AccessTokenHash(tok)
	}
	p, err := s.Sign(method, issuer+path, ath, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withDPoP sends a request with "Authorization: DPoP tok" and the given
// proofs (none, one, or several DPoP headers).
func (e *env) withDPoP(method, path, tok string, body string, proofs ...string) resp {
	e.t.Helper()
	h := http.Header{"Dpop": proofs}
	if tok != "" {
		h.Set("Authorization", "DPoP "+tok)
	}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return e.send(method, path, h, body)
}

// dpopLogin logs in with a proof by s and expects a bound pair.
func (e *env) dpopLogin(name string, s *dpop.Signer, nonce string) (pair, resp) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": name, "password": "correct horse battery"})
	r := e.withDPoP("POST", "/v1/login", "", string(body), proof(e.t, s, "POST", "/v1/login", "", nonce))
	expect(e.t, r, 200, "")
	return boundPair(e.t, r, s), r
}

func boundPair(t *testing.T, r resp, s *dpop.Signer) pair {
	t.Helper()
	m := r.json(t)
	if m["token_type"] != "DPoP" {
		t.Fatalf("token_type %v, want DPoP", m["token_type"])
	}
	p := pair{m["access_token"].(string), m["refresh_token"].(string), m["session_id"].(string), m["device_id"].(string)}
	if got := cnfJKT(t, p.Access); got != s.JKT() {
		t.Fatalf("cnf.jkt %q, want the proof key's %q", got, s.JKT())
	}
	return p
}

// cnfJKT reads cnf.jkt from an access token's payload.
func cnfJKT(t *testing.T, tok string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf *struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

func (e *env) refreshWith(rt string, proofs ...string) resp {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": rt})
	return e.withDPoP("POST", "/v1/token/refresh", "", string(body), proofs...)
}

func expectDPoPRefused(t *testing.T, r resp) {
	t.Helper()
	expect(t, r, 401, "invalid_dpop_proof")
	if got := r.header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != dpopChallenge {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

// TestDPoPBoundTokenNeedsItsProof: a login with a proof gets a pair bound
// to its key; the access token works only as "DPoP" with a fresh proof by
// that key naming this request and token, cached or not.
func TestDPoPBoundTokenNeedsItsProof(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"EdDSA", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			e := start(t, nil)
			e.signup("alice", "correct horse battery")
			key, thief := e.signer(alg), e.signer("EdDSA")
			p, _ := e.dpopLogin("alice", key, "")
			at := p.Access

			for i := range 2 { // the second time from the verified-token cache
				r := e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "GET", "/v1/me", at, ""))
				expect(t, r, 200, "")
				if i == 1 {
					if got := r.json(t)["session"].(map[string]any)["id"]; got != p.Session {
						t.Fatalf("session %v", got)
					}
				}
			}
			good := proof(t, key, "GET", "/v1/me", at, "")
			expect(t, e.withDPoP("GET", "/v1/me", at, "", good), 200, "")
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", good)) // replayed
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, ""))       // no proof, cache hit
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, thief, "GET", "/v1/me", at, "")))
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "GET", "/v1/sessions", at, "")))
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "POST", "/v1/me", at, "")))
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "GET", "/v1/me", "", "")))
			expectDPoPRefused(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "GET", "/v1/me", at, ""), proof(t, key, "GET", "/v1/me", at, "")))

			// No downgrade: the bound token as a bearer token is invalid.
			r := e.do("GET", "/v1/me", at, nil)
			expect(t, r, 401, "invalid_token")
			if r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
			// A bearer token under DPoP is invalid too, proof or not.
			_, bearer := e.user("bob")
			expect(t, e.withDPoP("GET", "/v1/me", bearer.Access, "", proof(t, key, "GET", "/v1/me", bearer.Access, "")), 401, "invalid_token")
			expect(t, e.do("GET", "/v1/me", bearer.Access, nil), 200, "")
			// A DPoP request needs no CSRF token: it cannot come from a
			// cross-site page.
			expect(t, e.withDPoP("POST", "/v1/logout", at, `{}`, proof(t, key, "POST", "/v1/logout", at, "")), 204, "")
			expect(t, e.withDPoP("GET", "/v1/me", at, "", proof(t, key, "GET", "/v1/me", at, "")), 401, "token_revoked")
		})
	}
}

// TestDPoPRefreshNeedsTheSessionKey: a bound session's refresh token is
// redeemed only with a proof by its key; a refusal changes nothing and is
// not reuse, so the owner goes on.
func TestDPoPRefreshNeedsTheSessionKey(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("alice", "correct horse battery")
	key, thief := e.signer("EdDSA"), e.signer("ES256")
	p, _ := e.dpopLogin("alice", key, "")

	expect(t, e.refreshWith(p.Refresh), 400, "invalid_dpop_proof")
	expect(t, e.refreshWith(p.Refresh, proof(t, thief, "POST", "/v1/token/refresh", "", "")), 400, "invalid_dpop_proof")
	expect(t, e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/login", "", "")), 400, "invalid_dpop_proof")
	r := e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", ""))
	expect(t, r, 200, "")
	next := boundPair(t, r, key)

	// Long after the grace window the spent token without the key would be
	// reuse and end the session; without the key it is refused, no more.
	e.clock.Add(e.cfg.RefreshReuseGrace * 3)
	expect(t, e.refreshWith(p.Refresh, proof(t, thief, "POST", "/v1/token/refresh", "", "")), 400, "invalid_dpop_proof")
	expect(t, e.refreshWith(p.Refresh), 400, "invalid_dpop_proof")
	r = e.refreshWith(next.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", ""))
	expect(t, r, 200, "")
	boundPair(t, r, key)
}

// TestDPoPUnboundSessionStaysUnbound: a proof on an unbound session's
// refresh binds nothing.
func TestDPoPUnboundSessionStaysUnbound(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("alice")
	r := e.refreshWith(p.Refresh, proof(t, e.signer("EdDSA"), "POST", "/v1/token/refresh", "", ""))
	expect(t, r, 200, "")
	next := toPair(t, r)
	if cnfJKT(t, next.Access) != "" {
		t.Fatal("refresh of an unbound session bound the token")
	}
	expect(t, e.do("GET", "/v1/me", next.Access, nil), 200, "")
}

// TestDPoPTokenEndpointRefusals: proof errors at token endpoints are 400
// and log nobody in.
func TestDPoPTokenEndpointRefusals(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("alice", "correct horse battery")
	key := e.signer("EdDSA")
	body := `{"username":"alice","password":"correct horse battery"}`
	login := func(proofs ...string) resp { return e.withDPoP("POST", "/v1/login", "", body, proofs...) }
	expect(t, login(proof(t, key, "GET", "/v1/login", "", "")), 400, "invalid_dpop_proof")
	expect(t, login(proof(t, key, "POST", "/v1/login", "some-token", "")), 400, "invalid_dpop_proof") // ath at a token endpoint
	expect(t, login(proof(t, key, "POST", "/v1/login", "", ""), proof(t, key, "POST", "/v1/login", "", "")), 400, "invalid_dpop_proof")
	expect(t, login("not.a.proof"), 400, "invalid_dpop_proof")
	expect(t, login(""), 400, "invalid_dpop_proof")
	used := proof(t, key, "POST", "/v1/login", "", "")
	expect(t, login(used), 200, "")
	expect(t, login(used), 400, "invalid_dpop_proof") // replayed
	r := e.withDPoP("POST", "/v1/login", "", `{"username":"alice","password":"correct horse battery","delivery":"cookie"}`,
		proof(t, key, "POST", "/v1/login", "", ""))
	expect(t, r, 400, "invalid_request")
	if r.header.Get("Set-Cookie") != "" {
		t.Fatal("a refused cookie login set cookies")
	}
}

// TestDPoPReauthKeepsTheBinding: reauth with a bound token needs its proof
// (400 at this token endpoint) and answers a pair bound to the same key.
func TestDPoPReauthKeepsTheBinding(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("alice", "correct horse battery")
	key := e.signer("ES256")
	p, _ := e.dpopLogin("alice", key, "")
	body := `{"password":"correct horse battery"}`
	expect(t, e.withDPoP("POST", "/v1/reauth", p.Access, body), 400, "invalid_dpop_proof")
	expect(t, e.withDPoP("POST", "/v1/reauth", p.Access, body, proof(t, e.signer("EdDSA"), "POST", "/v1/reauth", p.Access, "")), 400, "invalid_dpop_proof")
	r := e.withDPoP("POST", "/v1/reauth", p.Access, body, proof(t, key, "POST", "/v1/reauth", p.Access, ""))
	expect(t, r, 200, "")
	next := boundPair(t, r, key)
	if next.Session != p.Session {
		t.Fatal("reauth changed the session")
	}
	expect(t, e.refreshWith(next.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", "")), 200, "")
}

// TestDPoPNonces: with --dpop-nonce a token request's proof needs the
// server nonce; the refusal hands it out, every success the next one.
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.DPoPNonce = true })
	e.signup("alice", "correct horse battery")
	key := e.signer("EdDSA")
	body := `{"username":"alice","password":"correct horse battery"}`
	r := e.withDPoP("POST", "/v1/login", "", body, proof(t, key, "POST", "/v1/login", "", ""))
	expect(t, r, 400, "use_dpop_nonce")
	nonce := r.header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	expect(t, e.withDPoP("POST", "/v1/login", "", body, proof(t, key, "POST", "/v1/login", "", "not-the-nonce")), 400, "use_dpop_nonce")
	p, r := e.dpopLogin("alice", key, nonce)
	next := r.header.Get("DPoP-Nonce")
	if next == "" {
		t.Fatal("a successful token answer without DPoP-Nonce")
	}
	expect(t, e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", "")), 400, "use_dpop_nonce")
	r = e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", next))
	expect(t, r, 200, "")
	if r.header.Get("DPoP-Nonce") == "" {
		t.Fatal("refresh answer without DPoP-Nonce")
	}
	// Resource endpoints do not ask for nonces.
	p = boundPair(t, r, key)
	expect(t, e.withDPoP("GET", "/v1/me", p.Access, "", proof(t, key, "GET", "/v1/me", p.Access, "")), 200, "")
	// A bearer login (no proof) needs no nonce in optional mode.
	expect(t, e.do("POST", "/v1/login", "", body), 200, "")
}

// TestDPoPRequired: --dpop required issues no bearer tokens.
func TestDPoPRequired(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.DPoP = "required" })
	e.signup("alice", "correct horse battery")
	body := `{"username":"alice","password":"correct horse battery"}`
	expect(t, e.do("POST", "/v1/login", "", body), 400, "invalid_request")
	expect(t, e.do("POST", "/v1/login", "", `{"username":"alice","password":"correct horse battery","delivery":"jwt-cookie"}`), 400, "invalid_request")
	key := e.signer("EdDSA")
	p, _ := e.dpopLogin("alice", key, "")
	expect(t, e.refreshWith(p.Refresh), 400, "invalid_dpop_proof")
	expect(t, e.refreshWith(p.Refresh, proof(t, key, "POST", "/v1/token/refresh", "", "")), 200, "")
	// Browser sessions hold no token and stay possible.
	expect(t, e.do("POST", "/v1/login", "", `{"username":"alice","password":"correct horse battery","delivery":"cookie"}`), 200, "")
}

// TestDPoPForwardAuth: /v1/verify checks the proof against the request
// the proxy forwards, from X-Forwarded-* or X-Original-*.
func TestDPoPForwardAuth(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("alice", "correct horse battery")
	key := e.signer("EdDSA")
	p, _ := e.dpopLogin("alice", key, "")
	sign := func(method, url string) string {
		pr, err := key.Sign(method, url, dpop.AccessTokenHash(p.Access), "")
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	verify := func(pr string, fwd ...string) resp {
		h := http.Header{"Authorization": {"DPoP " + p.Access}, "Dpop": {pr}}
		for i := 0; i+1 < len(fwd); i += 2 {
			h.Add(fwd[i], fwd[i+1])
		}
		return e.send("GET", "/v1/verify", h, "")
	}
	fwd := []string{"X-Forwarded-Method", "DELETE", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "App.Example", "X-Forwarded-Uri", "/api/items/7?x=1"}
	r := verify(sign("DELETE", "https://app.example/api/items/7"), fwd...)
	expect(t, r, 200, "")
	if r.header.Get("X-Auth-Session-Id") != p.Session {
		t.Fatalf("X-Auth-Session-Id %q", r.header.Get("X-Auth-Session-Id"))
	}
	expectDPoPRefused(t, verify(sign("GET", "https://app.example/api/items/7"), fwd...))
	expectDPoPRefused(t, verify(sign("DELETE", "https://app.example/api/items/8"), fwd...))
	expectDPoPRefused(t, verify(sign("DELETE", "http://app.example/api/items/7"), fwd...))
	expectDPoPRefused(t, verify(sign("GET", issuer+"/v1/verify"), fwd...)) // the subrequest is not the request
	// nginx style: X-Original-Method and -URI, host and scheme forwarded.
	r = verify(sign("POST", "http://app.example:8080/upload"), "X-Original-Method", "POST", "X-Original-Uri", "/upload",
		"X-Forwarded-Proto", "http", "X-Forwarded-Host", "app.example:8080")
	expect(t, r, 200, "")
	// Without forwarded headers the proof names /v1/verify itself.
	expect(t, verify(sign("GET", issuer+"/v1/verify")), 200, "")
	// A replay is refused, and so are ambiguous forwarded headers.
	once := sign("DELETE", "https://app.example/api/items/7")
	expect(t, verify(once, fwd...), 200, "")
	expectDPoPRefused(t, verify(once, fwd...))
	expect(t, verify(sign("DELETE", "https://app.example/api/items/7"), append(fwd, "X-Forwarded-Host", "evil.example")...), 400, "invalid_request")
}

func TestDPoPDiscovery(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	m := e.do("GET", "/.well-known/openid-configuration", "", nil).json(t)
	algs, _ := json.Marshal(m["dpop_signing_alg_values_supported"])
	if string(algs) != `["ES256","EdDSA"]` {
		t.Fatalf("dpop_signing_alg_values_supported = %s", algs)
	}
}

// TestDPoPIntrospectAndRevoke: a bound token is introspected with its
// cnf.jkt and can be revoked (RFC 7009) like any other; no proof is needed
// to look at a token.
func TestDPoPIntrospectAndRevoke(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("alice", "correct horse battery")
	key := e.signer("EdDSA")
	p, _ := e.dpopLogin("alice", key, "")
	for _, tok := range []string{p.Access, p.Refresh} {
		m := e.form("/v1/introspect", adminToken, url.Values{"token": {tok}}).json(t)
		cnf, _ := m["cnf"].(map[string]any)
		if m["active"] != true || cnf["jkt"] != key.JKT() {
			t.Fatalf("introspection %v", m)
		}
	}
	expect(t, e.form("/v1/revoke", "", url.Values{"token": {p.Access}}), 200, "")
	expect(t, e.withDPoP("GET", "/v1/me", p.Access, "", proof(t, key, "GET", "/v1/me", p.Access, "")), 401, "token_revoked")
}

// TestDPoPResolveBindsTheNewSession: the proof sent with /v1/login/resolve
// binds the session it starts.
func TestDPoPResolveBindsTheNewSession(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 1; c.SessionOverflow = "reject" })
	_, old := e.user("alice")
	r := e.do("POST", "/v1/login", "", `{"username":"alice","password":"correct horse battery"}`)
	expect(t, r, 409, "session_limit")
	body, _ := json.Marshal(map[string]string{"login_challenge": r.str(t, "login_challenge"), "end_session_id": old.Session})
	key := e.signer("ES256")
	r = e.withDPoP("POST", "/v1/login/resolve", "", string(body), proof(t, key, "POST", "/v1/login/resolve", "", ""))
	expect(t, r, 200, "")
	p := boundPair(t, r, key)
	expect(t, e.refreshWith(p.Refresh), 400, "invalid_dpop_proof")
	expect(t, e.withDPoP("GET", "/v1/me", p.Access, "", proof(t, key, "GET", "/v1/me", p.Access, "")), 200, "")
}

// TestDPoPCORS: browsers may send the DPoP header and read DPoP-Nonce.
func TestDPoPCORS(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.example.test"} })
	r := e.do("OPTIONS", "/v1/login", "", nil, "Origin", "https://app.example.test", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "dpop")
	if !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "DPoP") {
		t.Fatalf("preflight does not allow the DPoP header: %v", r.header)
	}
	r = e.do("GET", "/healthz", "", nil, "Origin", "https://app.example.test")
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "DPoP-Nonce") {
		t.Fatalf("DPoP-Nonce not exposed: %v", r.header)
	}
}
