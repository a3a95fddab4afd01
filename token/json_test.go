package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
)

// The scanner must agree with encoding/json on every value it accepts, and
// refuse whatever encoding/json refuses.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []string{
		`"plain"`, `""`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u00E9"`, `"\ud83d\ude00"`, `"a\u0000b"`,
		`"é and 😀 raw"`, `0`, `-0`, `1.5`, `-1.5e+10`, `1E-3`, `123456789012345678901234567890`,
		`true`, `false`, `null`, `[]`, `{}`, `[1,"a",[true],{"b":null}]`, `{"a":{"b":{"c":[]}}}`,
		` [ 1 , 2 ] `, `{"a" : 1 , "b" : [ ] }`,
		// invalid
		`"unterminated`, `"bad \q escape"`, `"\u12"`, `"\u12G4"`, `"\ud800"`, `"\ud800\u0041"`,
		`"\ud800\`, `"\ud800x"`, "\"tab\there\"", `01`, `1.`, `.5`, `1e`, `1e+`, `-`, `+1`, `tru`, `nul`, `falsy`,
		`[1,]`, `[,1]`, `[1 2]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:2}`, `{"a":1 "b":2}`, `[`, `{`, `"\`,
	}
	for _, v := range values {
		doc := `{"x":` + v + `}`
		var c Claims
		_, _, err := parseClaims([]byte(doc), &c, "")
		if want := json.Valid([]byte(doc)); (err == nil) != want && v != `"\ud800"` && v != `"\ud800\u0041"` && v != `"\ud800x"` {
			t.Errorf("unknown claim %s: err %v, encoding/json valid %v", v, err, want)
		}
		if len(v) == 0 || v[0] != '"' {
			continue
		}
		var want string
		jerr := json.Unmarshal([]byte(v), &want)
		c = Claims{}
		_, _, err = parseClaims([]byte(`{"sub":`+v+`}`), &c, "")
		switch {
		case err == nil && (jerr != nil || c.Subject != want):
			t.Errorf("string %s: got %q, encoding/json %q, %v", v, c.Subject, want, jerr)
		case err != nil && jerr == nil && !loneSurrogate(v):
			t.Errorf("string %s refused: %v", v, err)
		}
	}
}

// encoding/json replaces lone surrogates with U+FFFD; the scanner refuses
// them so that no two spellings decode to the same claim.
func loneSurrogate(v string) bool {
	return v == `"\ud800"` || v == `"\ud800\u0041"` || v == `"\ud800x"`
}

func TestShapeRefusesBrokenKeys(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, k := range map[string]*Key{
		"EdDSA key too short": {Alg: AlgEdDSA, Method: MethodFor(AlgEdDSA), Verify: ed25519.PublicKey(make([]byte, 31))},
		"EdDSA key as bytes":  {Alg: AlgEdDSA, Method: MethodFor(AlgEdDSA), Verify: make([]byte, 32)},
		"RS256 1024 bits":     {Alg: AlgRS256, Method: MethodFor(AlgRS256), Verify: &small.PublicKey},
		"RS256 nil key":       {Alg: AlgRS256, Method: MethodFor(AlgRS256), Verify: (*rsa.PublicKey)(nil)},
		"no method":           {Alg: AlgHS256, Verify: make([]byte, 32)},
		"ES256 without point": {Alg: AlgES256, Method: MethodFor(AlgES256), Verify: &ecdsa.PublicKey{Curve: elliptic.P256()}},
		"HS256 key as string": {Alg: AlgHS256, Method: MethodFor(AlgHS256), Verify: "secret-secret-secret-secret-secret"},
	} {
		if err := checkShape(k, make([]byte, 64)); err != errBadKey {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPublicJWKRefusesMismatches(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	for name, k := range map[string]*Key{
		"nil":                nil,
		"EdDSA labelled ES":  {Alg: AlgES256, Verify: keys[AlgEdDSA].Verify},
		"ES256 labelled RS":  {Alg: AlgRS256, Verify: keys[AlgES256].Verify},
		"RS256 labelled Ed":  {Alg: AlgEdDSA, Verify: keys[AlgRS256].Verify},
		"private key":        {Alg: AlgEdDSA, Verify: keys[AlgEdDSA].Sign},
		"no verify material": {Alg: AlgEdDSA},
	} {
		if _, err := PublicJWK(k); err == nil {
			t.Errorf("%s: published", name)
		}
	}
}

func TestScannerRefusesTruncatedStrings(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`"\u12`, `"a\nb`, "\"a\\n\x01\"", `"\`, `"\ud83d\ude0`, `"\ud83d\u`} {
		s := scanner{b: []byte(v)}
		if got, ok := s.str(); ok {
			t.Errorf("%s read as %q", v, got)
		}
	}
	var c Claims
	if _, _, err := parseClaims([]byte(`{"aud":["gatehouse"}`), &c, "gatehouse"); err != errClaimType {
		t.Errorf("unterminated aud array: %v", err)
	}
}
