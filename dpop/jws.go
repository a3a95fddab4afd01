package dpop

import (
	"github.com/gatehouse/gatehouse/token"
)

// TypProof is the only typ a proof may have (RFC 9449 §4.2).
const TypProof = "dpop+jwt"

// maxMembers bounds the members of each JSON object in a proof.
const maxMembers = 32

// maxJTI bounds a jti: 256 bytes is far more than any client's random id.
const maxJTI = 256

var (
	errHeaderJSON  = invalid("header is not a JSON object")
	errHeaderField = invalid("header field other than typ, alg, jwk")
	errTyp         = invalid(`typ is not "dpop+jwt"`)
	errAlg         = invalid("alg is not ES256 or EdDSA")
	errJWK         = invalid("jwk missing or not an object")
	errJWKPrivate  = invalid("jwk has a private key member")
	errJWKField    = invalid("jwk member other than kty, crv, x, y, kid, alg, use")
	errJWKKey      = invalid("jwk is not a public key of alg")
	errClaimsJSON  = invalid("claims are not a JSON object")
	errClaimType   = invalid("claim has the wrong JSON type")
	errClaimCase   = invalid("claim name differs from a known claim only in case")
	errClaimMiss   = invalid("jti, htm, htu or iat missing or empty")
	errJTILength   = invalid("jti longer than 256 bytes")
	errIATDate     = invalid("iat out of range")
)

// privateMembers are the JWK members of private or symmetric keys (RFC 7518
// §6.2.2, §6.3.2, §6.4.1): a proof carrying one gives its key away, which a
// client library would only do by mistake.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// parseHeader reads the JOSE header: exactly typ, alg and jwk. Every other
// field (kid, jku, x5u, x5c, crit, b64, zip...) is refused: the key is the
// one in the header, nothing may point elsewhere or change processing.
func parseHeader(b []byte) (*token.Key, string, error) {
	h, err := token.ParseJSONObject(b, maxMembers)
	if err != nil {
		return nil, "", errHeaderJSON
	}
	for name := range h {
		if name != "typ" && name != "alg" && name != "jwk" {
			return nil, "", errHeaderField
		}
	}
	if v := h["typ"]; v.Kind != token.JSONString || v.String != TypProof {
		return nil, "", errTyp
	}
	alg := h["alg"]
	if alg.Kind != token.JSONString {
		return nil, "", errAlg
	}
	a := alg.String
	switch a {
	case token.AlgES256, token.AlgEdDSA:
	case AlgEd25519:
		// RFC 9864's fully-specified name for EdDSA over Ed25519, which
		// some clients (panva's dpop 2.x) send: the same algorithm, the
		// key must still be an Ed25519 OKP key.
		a = token.AlgEdDSA
	default:
		return nil, "", errAlg
	}
	jwk := h["jwk"]
	if jwk.Kind != token.JSONObject {
		return nil, "", errJWK
	}
	return keyOf(jwk.Object, a)
}

// keyOf turns the header's jwk into a verify key for alg and its
// thumbprint. The key must be of alg's type (an ES256 proof with an OKP key
// is refused, the key decides nothing by itself); coordinates are checked by
// token.KeyFromJWK (exact lengths, point on the curve).
func keyOf(m map[string]token.JSONValue, alg string) (*token.Key, string, error) {
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return nil, "", errJWKPrivate
		}
	}
	var j token.JWK
	for name, v := range m {
		switch name {
		case "kty", "crv", "x", "y", "kid", "alg", "use":
		default:
			return nil, "", errJWKField
		}
		if v.Kind != token.JSONString {
			return nil, "", errJWKKey
		}
		switch name {
		case "kty":
			j.Kty = v.String
		case "crv":
			j.Crv = v.String
		case "x":
			j.X = v.String
		case "y":
			j.Y = v.String
		case "kid": // informational; not part of the thumbprint
		case "alg":
			if v.String != alg && !(alg == token.AlgEdDSA && v.String == AlgEd25519) {
				return nil, "", errJWKKey
			}
		case "use":
			if v.String != "sig" {
				return nil, "", errJWKKey
			}
		}
	}
	j.Kid, j.Alg = "dpop", alg
	k, err := token.KeyFromJWK(j)
	if err != nil {
		return nil, "", errJWKKey
	}
	jkt, err := token.Thumbprint(j)
	if err != nil {
		return nil, "", errJWKKey
	}
	return k, jkt, nil
}

var knownClaims = []string{"jti", "htm", "htu", "iat", "ath", "nonce"}

// parseClaims reads the claims: jti, htm, htu, iat required, ath and nonce
// optional, all strings but iat. Other claims are allowed (RFC 9449 §4.2)
// but not case variants of these or duplicates of anything.
func parseClaims(b []byte) (*Proof, error) {
	m, err := token.ParseJSONObject(b, maxMembers)
	if err != nil {
		return nil, errClaimsJSON
	}
	if err := token.CheckNames(m, knownClaims...); err != nil {
		return nil, errClaimCase
	}
	p := &Proof{}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"jti", &p.JTI}, {"htm", &p.HTM}, {"htu", &p.HTU}, {"ath", &p.ATH}, {"nonce", &p.Nonce}} {
		v, ok := m[f.name]
		if !ok {
			continue
		}
		if v.Kind != token.JSONString {
			return nil, errClaimType
		}
		*f.dst = v.String
	}
	iat, ok := m["iat"]
	switch {
	case p.JTI == "" || p.HTM == "" || p.HTU == "" || !ok:
		return nil, errClaimMiss
	case len(p.JTI) > maxJTI:
		return nil, errJTILength
	case iat.Kind != token.JSONNumber:
		return nil, errClaimType
	}
	if p.IAT, err = token.NumericDate(iat.Number); err != nil {
		return nil, errIATDate
	}
	return p, nil
}
