package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	testIss = "https://auth.example.com"
	testAud = "gatehouse"
)

// mapSource is the simplest KeySource.
type mapSource map[string]*Key

func (m mapSource) Lookup(kid string) (*Key, bool) {
	k, ok := m[kid]
	return k, ok
}

// testKeys are generated once: RSA-2048 generation is slow.
var testKeys = sync.OnceValue(func() map[string]*Key {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	hs := make([]byte, 32)
	rand.Read(hs)
	return map[string]*Key{
		AlgEdDSA: {ID: "ed-1", Alg: AlgEdDSA, Method: MethodFor(AlgEdDSA), Sign: edPriv, Verify: edPub},
		AlgES256: {ID: "es-1", Alg: AlgES256, Method: MethodFor(AlgES256), Sign: ec, Verify: &ec.PublicKey},
		AlgRS256: {ID: "rs-1", Alg: AlgRS256, Method: MethodFor(AlgRS256), Sign: rs, Verify: &rs.PublicKey},
		AlgHS256: {ID: "hs-1", Alg: AlgHS256, Method: MethodFor(AlgHS256), Sign: hs, Verify: hs},
	}
})

func allKeys() mapSource {
	src := mapSource{}
	for _, k := range testKeys() {
		src[k.ID] = k
	}
	return src
}

func testClaims(now time.Time) *Claims {
	return &Claims{
		Issuer: testIss, Subject: "user-1", Audience: testAud, ID: "jti-1", SessionID: "sess-1",
		Username:  "alice",
		ExpiresAt: now.Add(15 * time.Minute), IssuedAt: now, NotBefore: now, AuthTime: now.Add(-time.Minute),
		Roles: []string{"admin", "user"},
	}
}

func fixedVerifier(src KeySource, now time.Time) *Verifier {
	return NewVerifier(src, Options{Issuer: testIss, Audience: testAud, Leeway: 30 * time.Second, Now: func() time.Time { return now }})
}

func mustMint(t testing.TB, k *Key, c *Claims) string {
	t.Helper()
	tok, err := Mint(k, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRoundTripEveryAlgorithm(t *testing.T) {
	t.Parallel()
	v := fixedVerifier(allKeys(), t0)
	for alg, k := range testKeys() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			want := testClaims(t0)
			tok := mustMint(t, k, want)
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Fatalf("claims differ:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// normalize drops monotonic/location differences so DeepEqual compares
// instants.
func normalize(c *Claims) Claims {
	n := *c
	for _, p := range []*time.Time{&n.ExpiresAt, &n.IssuedAt, &n.NotBefore, &n.AuthTime} {
		if !p.IsZero() {
			*p = p.UTC()
		}
	}
	return n
}

func TestMintHeaderIsExactlyAlgKidTyp(t *testing.T) {
	t.Parallel()
	for alg, k := range testKeys() {
		tok := mustMint(t, k, testClaims(t0))
		hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		want := `{"alg":"` + alg + `","kid":"` + k.ID + `","typ":"at+jwt"}`
		if string(hdr) != want {
			t.Errorf("%s header = %s, want %s", alg, hdr, want)
		}
	}
}

func TestMintWritesIntegerDatesAndEmptyRoles(t *testing.T) {
	t.Parallel()
	c := testClaims(t0.Add(500 * time.Millisecond))
	c.Roles, c.NotBefore, c.AuthTime, c.Username = nil, time.Time{}, time.Time{}, ""
	tok := mustMint(t, testKeys()[AlgHS256], c)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["roles"]) != "[]" || string(m["iat"]) != "1893553445" {
		t.Fatalf("payload %s", raw)
	}
	for _, absent := range []string{"nbf", "auth_time", "preferred_username"} {
		if _, ok := m[absent]; ok {
			t.Errorf("zero %s written: %s", absent, raw)
		}
	}
	got, err := fixedVerifier(allKeys(), t0).Verify(tok)
	if err != nil || got.Roles == nil || len(got.Roles) != 0 || !got.NotBefore.IsZero() {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
}

func TestMintEscapesStrings(t *testing.T) {
	t.Parallel()
	c := testClaims(t0)
	c.Username = "a\"b\\c\r\n\x01é\u2028"
	c.Roles = []string{"r\tx", "<&>"}
	got, err := fixedVerifier(allKeys(), t0).Verify(mustMint(t, testKeys()[AlgHS256], c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != c.Username || !reflect.DeepEqual(got.Roles, c.Roles) {
		t.Fatalf("got %q %q", got.Username, got.Roles)
	}
}

func TestMintRefuses(t *testing.T) {
	t.Parallel()
	hs := testKeys()[AlgHS256]
	verifyOnly := *testKeys()[AlgEdDSA]
	verifyOnly.Sign = nil
	wrongMaterial := *testKeys()[AlgES256]
	wrongMaterial.Sign = []byte("not an ECDSA key")
	wrongMethod := *hs
	wrongMethod.Alg = AlgEdDSA
	tests := []struct {
		name string
		k    *Key
		mod  func(*Claims)
	}{
		{"nil key", nil, nil},
		{"verify-only key", &verifyOnly, nil},
		{"method not the alg's", &wrongMethod, nil},
		{"signing material of the wrong type", &wrongMaterial, nil},
		{"missing sub", hs, func(c *Claims) { c.Subject = "" }},
		{"missing sid", hs, func(c *Claims) { c.SessionID = "" }},
		{"missing exp", hs, func(c *Claims) { c.ExpiresAt = time.Time{} }},
		{"invalid UTF-8", hs, func(c *Claims) { c.Subject = "\xff" }},
		{"invalid UTF-8 role", hs, func(c *Claims) { c.Roles = []string{"\xc3"} }},
		{"date before 1970", hs, func(c *Claims) { c.AuthTime = time.Unix(-1, 0) }},
		{"date after 9999", hs, func(c *Claims) { c.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tt := range tests {
		c := testClaims(t0)
		if tt.mod != nil {
			tt.mod(c)
		}
		if tok, err := Mint(tt.k, c); err == nil {
			t.Errorf("%s: Mint = %q, want error", tt.name, tok)
		}
	}
	if _, err := Mint(hs, nil); err == nil {
		t.Error("nil claims minted")
	}
}

func TestRefreshToken(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := Refresh{UserID: "0194c1a2-0000-7000-8000-000000000001", SessionID: "0194c1a2-0000-7000-8000-000000000002", Gen: 1}
	a, err := NewRefresh(secret, r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewRefresh(secret, r)
	if a == b || len(a) > MaxRefreshLen {
		t.Fatalf("tokens %q %q", a, b)
	}
	for _, tok := range []string{a, b} {
		got, err := ParseRefresh(secret, tok)
		if err != nil || got != r {
			t.Fatalf("ParseRefresh = %+v, %v; want %+v", got, err, r)
		}
	}
	bad := []string{
		"", a[:len(a)-1], a + "A", a[:len(a)-1] + "=", a[:10] + "+" + a[11:], a[:10] + " " + a[11:], a + "\n",
		strings.Repeat("A", 43), strings.Repeat("A", MaxRefreshLen+1),
	}
	// flip every character in turn: the MAC catches each
	for i := 0; i < len(a); i++ {
		c := byte('A')
		if a[i] == 'A' {
			c = 'B'
		}
		bad = append(bad, a[:i]+string(c)+a[i+1:])
	}
	for _, s := range bad {
		if _, err := ParseRefresh(secret, s); err == nil {
			t.Errorf("ParseRefresh(%q) accepted", s)
		}
	}
	if _, err := ParseRefresh([]byte("another secret, another server.."), a); err == nil {
		t.Error("a token verified under another secret")
	}
	if h := HashRefresh(a); len(h) != 32 || string(h) == string(HashRefresh(b)) {
		t.Fatal("HashRefresh")
	}
}

func TestSuccessorIsDeterministicAndKeyed(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := Refresh{UserID: "u", SessionID: "s", Gen: 7}
	tok, _ := NewRefresh(secret, r)
	s1, _ := SuccessorRefresh(secret, tok, r)
	s2, _ := SuccessorRefresh(secret, tok, r)
	if s1 != s2 || s1 == tok {
		t.Fatalf("successors %q %q", s1, s2)
	}
	if got, err := ParseRefresh(secret, s1); err != nil || got.Gen != 8 || got.SessionID != "s" || got.UserID != "u" {
		t.Fatalf("successor says %+v, %v", got, err)
	}
	if s3, _ := SuccessorRefresh([]byte("another secret, another chain.."), tok, r); s3 == s1 {
		t.Fatal("successor does not depend on the secret")
	}
	other, _ := NewRefresh(secret, r)
	if s4, _ := SuccessorRefresh(secret, other, r); s4 == s1 {
		t.Fatal("successor does not depend on the token")
	}
}

func TestJWKRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{AlgEdDSA, AlgES256, AlgRS256} {
		k := testKeys()[alg]
		j, err := PublicJWK(k)
		if err != nil {
			t.Fatal(alg, err)
		}
		if j.Kid != k.ID || j.Alg != alg || j.Use != "sig" {
			t.Fatalf("%s: %+v", alg, j)
		}
		back, err := KeyFromJWK(j)
		if err != nil {
			t.Fatal(alg, err)
		}
		// The verify-only key accepts tokens of the original.
		v := fixedVerifier(mapSource{back.ID: back}, t0)
		if _, err := v.Verify(mustMint(t, k, testClaims(t0))); err != nil {
			t.Fatal(alg, err)
		}
		if back.Sign != nil {
			t.Fatal("verify-only key can sign")
		}
	}
	if _, err := PublicJWK(testKeys()[AlgHS256]); err == nil {
		t.Fatal("HS256 key published")
	}
}

func TestKeyFromJWKIsStrict(t *testing.T) {
	t.Parallel()
	ed, _ := PublicJWK(testKeys()[AlgEdDSA])
	ec, _ := PublicJWK(testKeys()[AlgES256])
	rs, _ := PublicJWK(testKeys()[AlgRS256])
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallJWK, _ := PublicJWK(&Key{ID: "x", Alg: AlgRS256, Verify: &small.PublicKey})
	mod := func(j JWK, f func(*JWK)) JWK { f(&j); return j }
	bad := map[string]JWK{
		"no kid":             mod(ed, func(j *JWK) { j.Kid = "" }),
		"no alg":             mod(ed, func(j *JWK) { j.Alg = "" }),
		"alg none":           mod(ed, func(j *JWK) { j.Alg = "none" }),
		"use enc":            mod(ed, func(j *JWK) { j.Use = "enc" }),
		"EdDSA with EC kty":  mod(ed, func(j *JWK) { j.Kty = "EC" }),
		"EdDSA X25519":       mod(ed, func(j *JWK) { j.Crv = "X25519" }),
		"EdDSA short x":      mod(ed, func(j *JWK) { j.X = j.X[:40] }),
		"EdDSA padded x":     mod(ed, func(j *JWK) { j.X += "=" }),
		"ES256 on P-384":     mod(ec, func(j *JWK) { j.Crv = "P-384" }),
		"ES256 alg with RSA": mod(rs, func(j *JWK) { j.Alg = AlgES256 }),
		"ES256 off curve":    mod(ec, func(j *JWK) { j.Y = j.X }),
		"ES256 no y":         mod(ec, func(j *JWK) { j.Y = "" }),
		"ES256 bad x":        mod(ec, func(j *JWK) { j.X = "!" }),
		"RS256 bad n":        mod(rs, func(j *JWK) { j.N = "!" }),
		"RS256 bad e":        mod(rs, func(j *JWK) { j.E = "" }),
		"RS256 with OKP":     mod(ed, func(j *JWK) { j.Alg = AlgRS256 }),
		"RS256 1024 bits":    smallJWK,
		"RS256 even e":       mod(rs, func(j *JWK) { j.E = "AQAA" }),
		"RS256 e=1":          mod(rs, func(j *JWK) { j.E = "AQ" }),
		"RS256 leading zero": mod(rs, func(j *JWK) { j.N = "AA" + j.N }),
		"HS256":              {Kty: "oct", Kid: "h", Alg: AlgHS256},
		"PS256":              mod(rs, func(j *JWK) { j.Alg = "PS256" }),
	}
	for name, j := range bad {
		if _, err := KeyFromJWK(j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// RFC 7638 §3.1 example key and its thumbprint.
func TestThumbprintRFC7638Example(t *testing.T) {
	t.Parallel()
	j := JWK{
		Kty: "RSA", E: "AQAB", Alg: "RS256", Kid: "2011-04-29",
		N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
	}
	got, err := Thumbprint(j)
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("Thumbprint = %q, %v", got, err)
	}
	for _, bad := range []JWK{{Kty: "oct"}, {Kty: "RSA", N: j.N}, {Kty: "EC", Crv: "P-256", X: "a"}, {Kty: "OKP", X: "a"}} {
		if _, err := Thumbprint(bad); err == nil {
			t.Errorf("Thumbprint(%+v) succeeded", bad)
		}
	}
}

// RFC 8037 Appendix A.3: thumbprint of the Ed25519 example key.
func TestThumbprintRFC8037Example(t *testing.T) {
	t.Parallel()
	got, err := Thumbprint(JWK{Kty: "OKP", Crv: "Ed25519", X: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
	if err != nil || got != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("Thumbprint = %q, %v", got, err)
	}
}

func TestErrorsWrapSentinels(t *testing.T) {
	t.Parallel()
	if !errors.Is(errSignature, ErrInvalid) || !errors.Is(errExpired, ErrExpired) || !errors.Is(errRevoked, ErrRevoked) {
		t.Fatal("sentinels not wrapped")
	}
	if !strings.HasPrefix(errSignature.Error(), "token: invalid: ") {
		t.Fatal(errSignature.Error())
	}
}
