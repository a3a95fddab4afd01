package token

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/revoke"
	"github.com/gatehouse/gatehouse/store"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func hdrOf(k *Key) string {
	return `{"alg":"` + k.Alg + `","kid":"` + k.ID + `","typ":"at+jwt"}`
}

// basePayload is what Mint writes for testClaims(t0).
func basePayload() string { return string(appendClaims(nil, testClaims(t0))) }

// with returns basePayload with old replaced by new; old must occur.
func with(old, new string) string {
	p := basePayload()
	if !strings.Contains(p, old) {
		panic("test payload lacks " + old)
	}
	return strings.Replace(p, old, new, 1)
}

// signSegs signs already-encoded segments with k, whatever they contain.
func signSegs(k *Key, h, p string) string {
	sig, err := k.Method.Sign(h+"."+p, k.Sign)
	if err != nil {
		panic(err)
	}
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// forge signs arbitrary header and payload JSON with k.
func forge(k *Key, hdr, payload string) string { return signSegs(k, enc(hdr), enc(payload)) }

// withSig replaces the signature of tok with raw bytes.
func withSig(tok string, sig []byte) string {
	return tok[:strings.LastIndexByte(tok, '.')+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// esSig builds a 64-byte ES256 signature from r and s.
func esSig(r, s *big.Int) []byte {
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// hostileSource holds the test keys plus keys a broken KeySource might hand
// out.
func hostileSource() mapSource {
	src := allKeys()
	rs := testKeys()[AlgRS256]
	src["pss"] = &Key{ID: "pss", Alg: AlgRS256, Method: jwt.SigningMethodPS256, Verify: rs.Verify}
	src["ps256"] = &Key{ID: "ps256", Alg: "PS256", Method: jwt.SigningMethodPS256, Verify: rs.Verify}
	src["weak-hs"] = &Key{ID: "weak-hs", Alg: AlgHS256, Method: jwt.SigningMethodHS256, Sign: []byte("short"), Verify: []byte("short")}
	src["es-wrong-type"] = &Key{ID: "es-wrong-type", Alg: AlgES256, Method: jwt.SigningMethodES256, Verify: rs.Verify}
	src["nil-key"] = nil
	return src
}

type hostileCase struct {
	name string
	tok  string
	want error // the exact reason; all of them wrap ErrInvalid
}

func hostileTokens() []hostileCase {
	keys := testKeys()
	ed, es, rs, hs := keys[AlgEdDSA], keys[AlgES256], keys[AlgRS256], keys[AlgHS256]
	edTok := forge(ed, hdrOf(ed), basePayload())
	esTok := forge(es, hdrOf(es), basePayload())
	edSeg := strings.Split(edTok, ".")
	hp := edSeg[0] + "." + edSeg[1]
	n := new(big.Int).Set(p256Order())
	one := big.NewInt(1)

	// The classic alg confusion: an HMAC keyed with the public key.
	confusedHdr := enc(`{"alg":"HS256","kid":"ed-1","typ":"at+jwt"}`)
	mac := hmac.New(sha256.New, ed.Verify.(ed25519.PublicKey))
	mac.Write([]byte(confusedHdr + "." + enc(basePayload())))
	confused := confusedHdr + "." + enc(basePayload()) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	// Another key under the same kid.
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	impostor := &Key{ID: ed.ID, Alg: AlgEdDSA, Method: ed.Method, Sign: otherPriv}
	otherHS := &Key{ID: hs.ID, Alg: AlgHS256, Method: hs.Method, Sign: []byte("another secret of thirty-two by.")}

	// A signed token just over the size cap.
	huge := forge(ed, hdrOf(ed), with(`"roles"`, `"pad":"`+strings.Repeat("x", MaxTokenLength)+`","roles"`))

	// Non-canonical base64: the last character of the signature carries
	// bits that must be zero.
	lastSig := edSeg[2][len(edSeg[2])-1]
	nonCanonical := edTok[:len(edTok)-1] + string(b64Alphabet[strings.IndexByte(b64Alphabet, lastSig)|1])

	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	var many strings.Builder
	for i := range maxExtraClaims + 1 {
		many.WriteString(`"x` + string(rune('A'+i%26)) + string(rune('a'+i/26)) + `":1,`)
	}

	hdr := func(h string) string { return forge(ed, h, basePayload()) }
	claims := func(p string) string { return forge(ed, hdrOf(ed), p) }

	cases := []hostileCase{
		// Algorithm and key selection.
		{"alg none with a signature", hdr(`{"alg":"none","kid":"ed-1","typ":"at+jwt"}`), errAlgNone},
		{"alg none without a signature", enc(`{"alg":"none","kid":"ed-1","typ":"at+jwt"}`) + "." + enc(basePayload()) + ".", errEmptySeg},
		{"alg HS256 keyed with the EdDSA public key", confused, errAlgKey},
		{"alg EdDSA on an HS256 kid", forge(ed, `{"alg":"EdDSA","kid":"hs-1","typ":"at+jwt"}`, basePayload()), errAlgKey},
		{"alg RS256 on an ES256 kid", forge(rs, `{"alg":"RS256","kid":"es-1","typ":"at+jwt"}`, basePayload()), errAlgKey},
		{"alg in lower case", hdr(`{"alg":"eddsa","kid":"ed-1","typ":"at+jwt"}`), errAlgKey},
		{"kid unknown", hdr(`{"alg":"EdDSA","kid":"nope","typ":"at+jwt"}`), errUnknownKid},
		{"kid maps to a nil key", hdr(`{"alg":"EdDSA","kid":"nil-key","typ":"at+jwt"}`), errUnknownKid},
		{"kid missing", hdr(`{"alg":"EdDSA","typ":"at+jwt"}`), errNoKid},
		{"kid empty", hdr(`{"alg":"EdDSA","kid":"","typ":"at+jwt"}`), errNoKid},
		{"alg missing", hdr(`{"kid":"ed-1","typ":"at+jwt"}`), errNoAlg},
		{"key with a method other than its alg's", forge(rs, `{"alg":"RS256","kid":"pss","typ":"at+jwt"}`, basePayload()), errBadKey},
		{"key of an unsupported alg", forge(rs, `{"alg":"PS256","kid":"ps256","typ":"at+jwt"}`, basePayload()), errBadKey},
		{"HS256 key shorter than 256 bits", forge(hostileSource()["weak-hs"], `{"alg":"HS256","kid":"weak-hs","typ":"at+jwt"}`, basePayload()), errBadKey},
		{"ES256 key of the wrong type", forge(es, `{"alg":"ES256","kid":"es-wrong-type","typ":"at+jwt"}`, basePayload()), errBadKey},

		// Header fields.
		{"header jku", hdr(`{"alg":"EdDSA","jku":"https://evil/jwks","kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"header jwk", hdr(`{"alg":"EdDSA","jwk":{"kty":"OKP"},"kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"header x5u", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","x5u":"https://evil"}`), errHeaderField},
		{"header x5c", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","x5c":["AA"]}`), errHeaderField},
		{"header crit", hdr(`{"alg":"EdDSA","crit":["exp"],"kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"header b64", hdr(`{"alg":"EdDSA","b64":false,"kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"header zip", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt","zip":"DEF"}`), errHeaderField},
		{"header cty", hdr(`{"alg":"EdDSA","cty":"JWT","kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"header field in upper case", hdr(`{"ALG":"EdDSA","kid":"ed-1","typ":"at+jwt"}`), errHeaderField},
		{"typ JWT", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"JWT"}`), errTyp},
		{"typ missing", hdr(`{"alg":"EdDSA","kid":"ed-1"}`), errTyp},
		{"typ in upper case", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"AT+JWT"}`), errTyp},
		{"typ as media type", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"application/at+jwt"}`), errTyp},
		{"duplicate header alg", hdr(`{"alg":"HS256","alg":"EdDSA","kid":"ed-1","typ":"at+jwt"}`), errHeaderDup},
		{"duplicate header kid spelled with an escape", hdr(`{"alg":"EdDSA","kid":"x","k\u0069d":"ed-1","typ":"at+jwt"}`), errHeaderDup},
		{"header alg not a string", hdr(`{"alg":1,"kid":"ed-1","typ":"at+jwt"}`), errHeaderJSON},
		{"header array", hdr(`["EdDSA"]`), errHeaderJSON},
		{"header trailing data", hdr(hdrOf(ed) + `{}`), errHeaderJSON},
		{"header truncated", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt"`), errHeaderJSON},
		{"header trailing comma", hdr(`{"alg":"EdDSA","kid":"ed-1","typ":"at+jwt",}`), errHeaderJSON},
		{"header invalid UTF-8", hdr("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\xff\",\"typ\":\"at+jwt\"}"), errUTF8},

		// Lexical shape.
		{"empty string", "", errEmpty},
		{"padding in signature", edTok + "==", errCharset},
		{"padding in header", edSeg[0] + "=." + edSeg[1] + "." + edSeg[2], errCharset},
		{"space inside", edSeg[0] + " ." + edSeg[1] + "." + edSeg[2], errCharset},
		{"trailing newline", edTok + "\n", errCharset},
		{"leading tab", "\t" + edTok, errCharset},
		{"carriage return", edSeg[0] + "\r\n." + edSeg[1] + "." + edSeg[2], errCharset},
		{"standard base64 alphabet", strings.Replace(edTok, edSeg[2][:1], "+", 1), errCharset},
		{"NUL byte", edTok[:5] + "\x00" + edTok[6:], errCharset},
		{"non-ASCII byte", edTok[:5] + "é" + edTok[6:], errCharset},
		{"four segments", edTok + ".AAAA", errSegments},
		{"two segments", hp, errSegments},
		{"one segment", edSeg[0], errSegments},
		{"empty signature", hp + ".", errEmptySeg},
		{"empty header", "." + edSeg[1] + "." + edSeg[2], errEmptySeg},
		{"empty payload", edSeg[0] + ".." + edSeg[2], errEmptySeg},
		{"over 8 KiB", huge, errTooLong},
		{"truncated base64 signature", edTok[:len(edTok)-1], errBase64},
		{"non-canonical base64 signature", nonCanonical, errBase64},
		{"non-canonical base64 payload, signed", signSegs(ed, edSeg[0], nonCanonicalOf(oddLength(basePayload()))), errBase64},

		// Signature.
		{"signature from another key with the same kid", forge(impostor, hdrOf(ed), basePayload()), errSignature},
		{"HMAC from another secret with the same kid", forge(otherHS, hdrOf(hs), basePayload()), errSignature},
		{"payload changed after signing", hp[:len(hp)-2] + "x" + hp[len(hp)-1:] + "." + edSeg[2], errSignature},
		{"signature bit flipped", withSig(edTok, flip(decodeSig(edTok))), errSignature},
		{"EdDSA signature 63 bytes", withSig(edTok, decodeSig(edTok)[:63]), errSigLength},
		{"ECDSA signature 65 bytes", withSig(esTok, append(decodeSig(esTok), 0)), errSigLength},
		{"ECDSA signature 63 bytes", withSig(esTok, decodeSig(esTok)[1:]), errSigLength},
		{"ECDSA DER signature", withSig(esTok, derOf(decodeSig(esTok))), errSigLength},
		{"ECDSA r=0", withSig(esTok, esSig(big.NewInt(0), one)), errSigRange},
		{"ECDSA s=0", withSig(esTok, esSig(one, big.NewInt(0))), errSigRange},
		{"ECDSA r=s=0", withSig(esTok, make([]byte, 64)), errSigRange},
		{"ECDSA s=n", withSig(esTok, esSig(one, n)), errSigRange},
		{"ECDSA r=n", withSig(esTok, esSig(n, one)), errSigRange},
		{"ECDSA r=2^256-1", withSig(esTok, esSig(new(big.Int).Sub(new(big.Int).Lsh(one, 256), one), one)), errSigRange},
		{"RS256 signature one byte short", withSig(forge(rs, hdrOf(rs), basePayload()), make([]byte, 255)), errSigLength},
		{"HS256 signature truncated to 16 bytes", withSig(forge(hs, hdrOf(hs), basePayload()), make([]byte, 16)), errSigLength},
		{"forged claims are not looked at", withSig(forge(ed, hdrOf(ed), with(`"iss":"`+testIss, `"iss":"evil`)), make([]byte, 64)), errSignature},

		// Payload JSON, signed with the right key.
		{"payload invalid UTF-8", claims(with(`"alice"`, "\"al\xc3ce\"")), errUTF8},
		{"payload array", claims(`[` + basePayload() + `]`), errPayloadJSON},
		{"payload string", claims(`"sub"`), errPayloadJSON},
		{"payload null", claims(`null`), errPayloadJSON},
		{"payload trailing data", claims(basePayload() + `{}`), errPayloadJSON},
		{"payload truncated", claims(strings.TrimSuffix(basePayload(), "}")), errPayloadJSON},
		{"payload single quotes", claims(with(`"sid":"sess-1"`, `"sid":'sess-1'`)), errClaimType},
		{"duplicate claim sub", claims(with(`"sub":"user-1"`, `"sub":"user-1","sub":"admin"`)), errClaimDup},
		{"duplicate claim spelled with an escape", claims(with(`"sub":"user-1"`, `"sub":"user-1","s\u0075b":"admin"`)), errClaimDup},
		{"duplicate unknown claim", claims(with(`"roles"`, `"x":1,"x":2,"roles"`)), errClaimDup},
		{"claim Sub instead of sub", claims(with(`"sub"`, `"Sub"`)), errClaimCase},
		{"claim SUB next to sub", claims(with(`"roles"`, `"SUB":"admin","roles"`)), errClaimCase},
		{"claim with long s (U+017F) folding to sub", claims(with(`"roles"`, `"ſub":"admin","roles"`)), errClaimCase},
		{"claim Exp next to exp", claims(with(`"roles"`, `"Exp":9999999999,"roles"`)), errClaimCase},
		{"too many unknown claims", claims(with(`"roles"`, many.String()+`"roles"`)), errTooMany},
		{"unknown claim nested too deep", claims(with(`"roles"`, `"deep":`+deep+`,"roles"`)), errPayloadJSON},
		{"unknown claim with bad literal", claims(with(`"roles"`, `"x":nul,"roles"`)), errPayloadJSON},
		{"lone surrogate escape", claims(with(`"user-1"`, `"user-\ud800"`)), errClaimType},
		{"reversed surrogate pair", claims(with(`"user-1"`, `"\udc00\ud800"`)), errClaimType},
		{"raw control character in string", claims(with(`"user-1"`, "\"user\x01\"")), errClaimType},
		{"bad escape", claims(with(`"user-1"`, `"user\x"`)), errClaimType},

		// Claim types.
		{"exp as string", claims(with(`"exp":1893554345`, `"exp":"1893554345"`)), errClaimType},
		{"exp as bool", claims(with(`"exp":1893554345`, `"exp":true`)), errClaimType},
		{"exp null", claims(with(`"exp":1893554345`, `"exp":null`)), errClaimType},
		{"exp as object", claims(with(`"exp":1893554345`, `"exp":{}`)), errClaimType},
		{"exp negative", claims(with(`"exp":1893554345`, `"exp":-1`)), errClaimDate},
		{"exp beyond year 9999", claims(with(`"exp":1893554345`, `"exp":253402300800`)), errClaimDate},
		{"exp 1e400", claims(with(`"exp":1893554345`, `"exp":1e400`)), errClaimDate},
		{"exp with leading zero", claims(with(`"exp":1893554345`, `"exp":01893554345`)), errPayloadJSON},
		{"exp with trailing dot", claims(with(`"exp":1893554345`, `"exp":1893554345.`)), errPayloadJSON},
		{"iat as string", claims(with(`"iat":1893553445`, `"iat":"1893553445"`)), errClaimType},
		{"nbf as string", claims(with(`"nbf":1893553445`, `"nbf":"now"`)), errClaimType},
		{"auth_time as string", claims(with(`"auth_time":1893553385`, `"auth_time":"x"`)), errClaimType},
		{"sub as number", claims(with(`"sub":"user-1"`, `"sub":1`)), errClaimType},
		{"sid as null", claims(with(`"sid":"sess-1"`, `"sid":null`)), errClaimType},
		{"aud as number", claims(with(`"aud":"gatehouse"`, `"aud":1`)), errClaimType},
		{"aud array with a number", claims(with(`"aud":"gatehouse"`, `"aud":["gatehouse",1]`)), errClaimType},
		{"roles as string", claims(with(`"roles":["admin","user"]`, `"roles":"admin"`)), errClaimType},
		{"roles with a number", claims(with(`"roles":["admin","user"]`, `"roles":["admin",1]`)), errClaimType},
		{"roles null", claims(with(`"roles":["admin","user"]`, `"roles":null`)), errClaimType},
		{"cnf as string", claims(with(`"roles"`, `"cnf":"abc","roles"`)), errCnf},
		{"cnf empty object", claims(with(`"roles"`, `"cnf":{},"roles"`)), errCnf},
		{"cnf with jwk instead of jkt", claims(with(`"roles"`, `"cnf":{"jwk":{"kty":"OKP"}},"roles"`)), errCnf},
		{"cnf jkt and another member", claims(with(`"roles"`, `"cnf":{"jkt":"abc","kid":"x"},"roles"`)), errCnf},
		{"cnf jkt empty", claims(with(`"roles"`, `"cnf":{"jkt":""},"roles"`)), errCnf},
		{"cnf jkt as number", claims(with(`"roles"`, `"cnf":{"jkt":1},"roles"`)), errCnf},
		{"duplicate cnf", claims(with(`"roles"`, `"cnf":{"jkt":"a"},"cnf":{"jkt":"b"},"roles"`)), errClaimDup},
		{"claim CNF next to nothing", claims(with(`"roles"`, `"CNF":{"jkt":"a"},"roles"`)), errClaimCase},
		{"roles array unterminated", claims(with(`"roles":["admin","user"]}`, `"roles":["admin","user"}`)), errClaimType},

		// Claim values.
		{"wrong iss", claims(with(`"iss":"`+testIss+`"`, `"iss":"https://evil.example.com"`)), errIssuer},
		{"iss differs in case", claims(with(`"iss":"`+testIss+`"`, `"iss":"`+strings.ToUpper(testIss)+`"`)), errIssuer},
		{"wrong aud", claims(with(`"aud":"gatehouse"`, `"aud":"other"`)), errAudience},
		{"aud array without ours", claims(with(`"aud":"gatehouse"`, `"aud":["other","Gatehouse"]`)), errAudience},
		{"aud empty array", claims(with(`"aud":"gatehouse"`, `"aud":[]`)), errAudience},
		{"sub empty", claims(with(`"sub":"user-1"`, `"sub":""`)), errEmptyClaim},
		{"sid empty", claims(with(`"sid":"sess-1"`, `"sid":""`)), errEmptyClaim},
		{"iat beyond leeway", claims(with(`"iat":1893553445`, `"iat":1893553476`)), errIssuedAt},
		{"nbf beyond leeway", claims(with(`"nbf":1893553445`, `"nbf":1893553476`)), errNotBefore},
	}
	for _, claim := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "sid"} {
		cases = append(cases, hostileCase{"missing " + claim, claims(without(claim)), errMissing})
	}
	return cases
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// nonCanonicalOf sets a must-be-zero trailing bit of an encoded segment
// whose length is not a multiple of 4.
func nonCanonicalOf(seg string) string {
	if len(seg)%4 == 0 {
		panic("segment has no trailing bits")
	}
	last := strings.IndexByte(b64Alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(b64Alphabet[last|1])
}

// oddLength encodes p, padded with JSON whitespace so its encoding has
// trailing bits.
func oddLength(p string) string {
	for len(enc(p))%4 == 0 {
		p += " "
	}
	return enc(p)
}

// without drops one claim from basePayload.
func without(claim string) string {
	p := basePayload()
	i := strings.Index(p, `"`+claim+`":`)
	j := i + strings.IndexByte(p[i:], ',')
	return p[:i] + p[j+1:]
}

func decodeSig(tok string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
	if err != nil {
		panic(err)
	}
	return b
}

func flip(b []byte) []byte {
	b = append([]byte(nil), b...)
	b[len(b)/2] ^= 1
	return b
}

// derOf wraps r||s as the ASN.1 DER some libraries produce instead of JOSE's
// fixed-width form.
func derOf(sig []byte) []byte {
	enc := func(x []byte) []byte { return append([]byte{2, byte(len(x) + 1), 0}, x...) }
	body := append(enc(sig[:32]), enc(sig[32:])...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func p256Order() *big.Int { return new(big.Int).SetBytes(p256N) }

func TestHostileTokensAreInvalid(t *testing.T) {
	t.Parallel()
	cases := hostileTokens()
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	calls := 0
	v := NewVerifier(hostileSource(), Options{
		Issuer: testIss, Audience: testAud, Leeway: 30 * time.Second,
		Now:     func() time.Time { return t0 },
		Revoked: func(string, string, time.Time) bool { calls++; return false },
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(tc.tok)
			if c != nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalid", c, err)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("rejected for %q, want %q", err, tc.want)
			}
		})
	}
	if calls != 0 {
		t.Fatalf("Revoked asked %d times about invalid tokens", calls)
	}
}

// The hostile table must not pass by accident: the same constructions with
// nothing wrong must verify.
func TestHostileTableBaselineVerifies(t *testing.T) {
	t.Parallel()
	v := fixedVerifier(hostileSource(), t0)
	ed := testKeys()[AlgEdDSA]
	for name, tok := range map[string]string{
		"forge":                   forge(ed, hdrOf(ed), basePayload()),
		"header fields reordered": forge(ed, `{"typ":"at+jwt","kid":"ed-1","alg":"EdDSA"}`, basePayload()),
		"whitespace in JSON":      forge(ed, " {\n\"alg\" : \"EdDSA\",\t\"kid\":\"ed-1\",\"typ\":\"at+jwt\"} ", " "+strings.ReplaceAll(basePayload(), ",", " ,\r\n ")+" "),
		"escapes in values":       forge(ed, `{"alg":"Ed\u0044SA","kid":"ed\u002d1","typ":"at\u002bjwt"}`, basePayload()),
		"aud array with ours":     forge(ed, hdrOf(ed), with(`"aud":"gatehouse"`, `"aud":["other","gatehouse"]`)),
		"decimal dates":           forge(ed, hdrOf(ed), with(`"exp":1893554345`, `"exp":1893554345.5`)),
		"exponent dates":          forge(ed, hdrOf(ed), with(`"exp":1893554345`, `"exp":1.893554345e9`)),
		"unknown claims":          forge(ed, hdrOf(ed), with(`"roles"`, `"scope":"a b","ext":{"x":[1,true,null,{"y":-1.5e-3}]},"roles"`)),
		"cnf with jkt":            forge(ed, hdrOf(ed), with(`"roles"`, `"cnf": { "jkt" : "a\u0062c" },"roles"`)),
		"no optional claims":      forge(ed, hdrOf(ed), without("nbf")),
		"surrogate pair":          forge(ed, hdrOf(ed), with(`"alice"`, `"\ud83d\ude00"`)),
		"iat within leeway":       forge(ed, hdrOf(ed), with(`"iat":1893553445`, `"iat":1893553475`)),
	} {
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c, _ := v.Verify(forge(ed, hdrOf(ed), with(`"alice"`, `"\ud83d\ude00 \"q\" \u00e9"`)))
	if c == nil || c.Username != "😀 \"q\" é" {
		t.Fatalf("escaped username = %+v", c)
	}
	c, _ = v.Verify(forge(ed, hdrOf(ed), with(`"exp":1893554345`, `"exp":1893554345.25`)))
	if c == nil || !c.ExpiresAt.Equal(time.Unix(1893554345, 250e6)) {
		t.Fatalf("decimal exp = %+v", c)
	}
}

// The largest token under the cap passes; one byte more is refused by length.
func TestSizeCap(t *testing.T) {
	t.Parallel()
	ed := testKeys()[AlgEdDSA]
	v := fixedVerifier(allKeys(), t0)
	var under, over string
	for pad := MaxTokenLength * 3 / 4 / 1; pad > 0 && (under == "" || over == ""); pad-- {
		tok := forge(ed, hdrOf(ed), with(`"roles"`, `"pad":"`+strings.Repeat("x", pad)+`","roles"`))
		switch {
		case len(tok) > MaxTokenLength:
			over = tok
		case under == "":
			under = tok
		}
	}
	if _, err := v.Verify(under); err != nil {
		t.Fatalf("%d-byte token: %v", len(under), err)
	}
	if _, err := v.Verify(over); !errors.Is(err, errTooLong) {
		t.Fatalf("%d-byte token: %v", len(over), err)
	}
	if len(under) < MaxTokenLength-3 {
		t.Fatalf("largest accepted token only %d bytes", len(under))
	}
}

func TestExpiryWithLeeway(t *testing.T) {
	t.Parallel()
	hs := testKeys()[AlgHS256]
	c := testClaims(t0)
	tok := mustMint(t, hs, c)
	exp := c.ExpiresAt
	tests := []struct {
		name   string
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{"at exp", exp, 0, nil},
		{"just after exp without leeway", exp.Add(time.Nanosecond), 0, ErrExpired},
		{"within leeway after exp", exp.Add(30 * time.Second), 30 * time.Second, nil},
		{"past leeway", exp.Add(30*time.Second + time.Nanosecond), 30 * time.Second, ErrExpired},
		{"long past", exp.Add(24 * time.Hour), 30 * time.Second, ErrExpired},
		{"iat a little ahead, inside leeway", t0.Add(-29 * time.Second), 30 * time.Second, nil},
		{"iat ahead of the clock beyond leeway", t0.Add(-31 * time.Second), 30 * time.Second, ErrInvalid},
		{"iat ahead without leeway", t0.Add(-time.Nanosecond), 0, ErrInvalid},
	}
	for _, tt := range tests {
		v := NewVerifier(allKeys(), Options{Issuer: testIss, Audience: testAud, Leeway: tt.leeway, Now: func() time.Time { return tt.now }})
		_, err := v.Verify(tok)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNotBefore(t *testing.T) {
	t.Parallel()
	c := testClaims(t0)
	c.NotBefore = t0.Add(time.Minute)
	tok := mustMint(t, testKeys()[AlgHS256], c)
	for now, ok := range map[time.Time]bool{t0: false, t0.Add(30 * time.Second): true, t0.Add(time.Minute): true} {
		_, err := fixedVerifier(allKeys(), now).Verify(tok)
		if ok != (err == nil) || (!ok && !errors.Is(err, errNotBefore)) {
			t.Errorf("now %v: %v", now, err)
		}
	}
}

func TestRevokedCallback(t *testing.T) {
	t.Parallel()
	c := testClaims(t0)
	tok := mustMint(t, testKeys()[AlgEdDSA], c)
	var gotSid, gotSub string
	var gotIat time.Time
	revoked := true
	v := NewVerifier(allKeys(), Options{Issuer: testIss, Audience: testAud, Now: func() time.Time { return t0 },
		Revoked: func(sid, sub string, iat time.Time) bool {
			gotSid, gotSub, gotIat = sid, sub, iat
			return revoked
		}})
	if _, err := v.Verify(tok); !errors.Is(err, ErrRevoked) || errors.Is(err, ErrInvalid) {
		t.Fatalf("Verify = %v, want ErrRevoked", err)
	}
	if gotSid != c.SessionID || gotSub != c.Subject || !gotIat.Equal(c.IssuedAt) {
		t.Fatalf("Revoked(%q, %q, %v)", gotSid, gotSub, gotIat)
	}
	revoked = false
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
}

func TestExpiredWinsOverRevoked(t *testing.T) {
	t.Parallel()
	tok := mustMint(t, testKeys()[AlgEdDSA], testClaims(t0))
	var calls atomic.Int32
	v := NewVerifier(allKeys(), Options{Issuer: testIss, Audience: testAud, Now: func() time.Time { return t0.Add(time.Hour) },
		Revoked: func(string, string, time.Time) bool { calls.Add(1); return true }})
	if _, err := v.Verify(tok); !errors.Is(err, ErrExpired) || calls.Load() != 0 {
		t.Fatalf("Verify = %v after %d Revoked calls", err, calls.Load())
	}
}

func TestWithRevocationSet(t *testing.T) {
	t.Parallel()
	set := revoke.New()
	v := NewVerifier(allKeys(), Options{Issuer: testIss, Audience: testAud, Now: func() time.Time { return t0 }, Revoked: set.Revoked})
	a := testClaims(t0)
	b := testClaims(t0)
	b.SessionID, b.Subject = "sess-2", "user-2"
	ta, tb := mustMint(t, testKeys()[AlgEdDSA], a), mustMint(t, testKeys()[AlgEdDSA], b)
	set.Add(store.Revocation{ID: 1, SessionID: a.SessionID, Until: t0.Add(time.Hour)})
	if _, err := v.Verify(ta); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked session: %v", err)
	}
	if _, err := v.Verify(tb); err != nil {
		t.Fatalf("other session: %v", err)
	}
	set.Add(store.Revocation{ID: 2, UserID: b.Subject, NotBefore: t0.Add(time.Second), Until: t0.Add(time.Hour)})
	if _, err := v.Verify(tb); !errors.Is(err, ErrRevoked) {
		t.Fatalf("user not-before: %v", err)
	}
}

func TestEmptyOptionsMatchNothing(t *testing.T) {
	t.Parallel()
	tok := mustMint(t, testKeys()[AlgEdDSA], testClaims(time.Now()))
	for _, o := range []Options{{Audience: testAud}, {Issuer: testIss}} {
		if _, err := NewVerifier(allKeys(), o).Verify(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// The default clock is time.Now.
	if _, err := NewVerifier(allKeys(), Options{Issuer: testIss, Audience: testAud}).Verify(tok); err != nil {
		t.Fatal(err)
	}
}

// FuzzVerify feeds Verify two kinds of input: raw token strings (which
// exercise the lexical and header checks and the signature gate), and
// header/payload JSON that the harness signs with a known HS256 key (which
// reaches the claims parser, otherwise out of a fuzzer's reach behind the
// signature). Verify must never panic, every error must wrap exactly one
// sentinel, and whatever it accepts must be JSON that encoding/json reads
// to the same claims.
func FuzzVerify(f *testing.F) {
	keys := testKeys()
	hs := keys[AlgHS256]
	for _, k := range keys {
		tok := mustMint(f, k, testClaims(t0))
		f.Add(tok, []byte(hdrOf(hs)), []byte(basePayload()))
	}
	for _, tc := range hostileTokens() {
		if len(tc.tok) < 2048 {
			seg := strings.Split(tc.tok, ".")
			h, _ := base64.RawURLEncoding.DecodeString(seg[0])
			p := []byte(nil)
			if len(seg) > 1 {
				p, _ = base64.RawURLEncoding.DecodeString(seg[1])
			}
			f.Add(tc.tok, h, p)
		}
	}
	v := fixedVerifier(hostileSource(), t0)
	f.Fuzz(func(t *testing.T, raw string, hdr, payload []byte) {
		checkVerify(t, v, raw, nil)
		tok := forge(hs, string(hdr), string(payload))
		checkVerify(t, v, tok, payload)
	})
}

func checkVerify(t *testing.T, v *Verifier, tok string, payload []byte) {
	c, err := v.Verify(tok)
	if err != nil {
		n := 0
		for _, s := range []error{ErrInvalid, ErrExpired, ErrRevoked} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 || c != nil {
			t.Fatalf("Verify(%q) = %v, %v", tok, c, err)
		}
		return
	}
	if payload == nil {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatalf("accepted claims encoding/json refuses: %q: %v", payload, err)
	}
	for name, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "sid": c.SessionID, "jti": c.ID} {
		if m[name] != got {
			t.Fatalf("%s: parsed %q, encoding/json %q (payload %q)", name, got, m[name], payload)
		}
	}
	if c.Roles == nil {
		t.Fatal("nil roles")
	}
}
