package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMintAndVerifyCarryCnfJKT(t *testing.T) {
	t.Parallel()
	v := fixedVerifier(allKeys(), t0)
	c := testClaims(t0)
	c.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	tok := mustMint(t, testKeys()[AlgEdDSA], c)
	payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
	if !strings.Contains(string(payload), `"cnf":{"jkt":"`+c.JKT+`"}`) {
		t.Fatalf("payload %s lacks cnf", payload)
	}
	for range 2 { // uncached, then from the cache
		got, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if got.JKT != c.JKT {
			t.Fatalf("JKT = %q, want %q", got.JKT, c.JKT)
		}
	}
	unbound, err := v.Verify(mustMint(t, testKeys()[AlgEdDSA], testClaims(t0)))
	if err != nil || unbound.JKT != "" {
		t.Fatalf("unbound token: JKT %q, err %v", unbound.JKT, err)
	}
}

func TestParseJSONObject(t *testing.T) {
	t.Parallel()
	m, err := ParseJSONObject([]byte(`{"a":"x\u0041","n":-1.5e3,"o":{"k":"v"},"z":[1,{"q":null}],"t":true}`), 8)
	if err != nil {
		t.Fatal(err)
	}
	if m["a"].Kind != JSONString || m["a"].String != "xA" || m["n"].Kind != JSONNumber || m["n"].Number != "-1.5e3" ||
		m["o"].Kind != JSONObject || m["o"].Object["k"].String != "v" || m["z"].Kind != JSONOther || m["t"].Kind != JSONOther {
		t.Fatalf("decoded %+v", m)
	}
	bad := map[string]struct {
		in   string
		want error
	}{
		"duplicate":                {`{"a":1,"a":2}`, errObjectDup},
		"duplicate by escape":      {`{"a":1,"\u0061":2}`, errObjectDup},
		"nested duplicate":         {`{"o":{"k":1,"k":2}}`, errObjectDup},
		"too many members":         {`{"a":1,"b":2,"c":3}`, errObjectSize},
		"array":                    {`[1]`, errObjectJSON},
		"trailing data":            {`{}{}`, errObjectJSON},
		"trailing comma":           {`{"a":1,}`, errObjectJSON},
		"lone surrogate":           {`{"a":"\ud800"}`, errObjectJSON},
		"invalid UTF-8":            {"{\"a\":\"\xff\"}", errUTF8},
		"too deep":                 {strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), errObjectJSON},
		"bad literal":              {`{"a":tru}`, errObjectJSON},
		"number with leading zero": {`{"a":01}`, errObjectJSON},
	}
	for name, c := range bad {
		if _, err := ParseJSONObject([]byte(c.in), 2); err != c.want || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func TestCheckNames(t *testing.T) {
	t.Parallel()
	m, _ := ParseJSONObject([]byte(`{"jti":"a","HTM":"GET"}`), 8)
	if err := CheckNames(m, "jti", "htm"); err != errObjectCase {
		t.Fatalf("HTM beside htm: %v", err)
	}
	if err := CheckNames(m, "jti", "iat"); err != nil {
		t.Fatalf("no case variant: %v", err)
	}
}

func TestNumericDate(t *testing.T) {
	t.Parallel()
	if got, err := NumericDate("1893553445"); err != nil || !got.Equal(time.Unix(1893553445, 0)) {
		t.Fatalf("integer: %v %v", got, err)
	}
	for _, in := range []string{"-1", "253402300800", "1e400"} {
		if _, err := NumericDate(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestVerifySignatureChecksShape(t *testing.T) {
	t.Parallel()
	es := testKeys()[AlgES256]
	tok := mustMint(t, es, testClaims(t0))
	i := strings.LastIndexByte(tok, '.')
	sig, _ := b64.DecodeString(tok[i+1:])
	if err := VerifySignature(es, tok[:i], sig); err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(es, tok[:i], make([]byte, 64)); err != errSigRange {
		t.Fatalf("zero signature: %v", err)
	}
	if err := VerifySignature(es, tok[:i]+"x", sig); err != errSignature {
		t.Fatalf("other input: %v", err)
	}
	if err := VerifySignature(nil, tok[:i], sig); err != errBadKey {
		t.Fatalf("nil key: %v", err)
	}
}
