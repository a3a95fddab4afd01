package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
)

// JWK is a public JSON Web Key (RFC 7517) as Gatehouse publishes it.
type JWK struct {
	Kty string `json:"kty,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

var (
	errJWKSecret = errors.New("token: jwk: HS256 keys are never published")
	errJWKKey    = errors.New("token: jwk: key type does not match alg")
	errJWKKid    = errors.New("token: jwk: kid missing")
	errJWKUse    = errors.New(`token: jwk: use is not "sig"`)
	errJWKField  = errors.New("token: jwk: member missing or malformed")
	errJWKRSA    = errors.New("token: jwk: RSA key below 2048 bits, above 8192, or bad exponent")
)

// Bounds on RSA moduli: below 2048 bits is breakable, above 8192 only makes
// verification slow enough to be an attack.
const minRSABits, maxRSABits = 2048, 8192

// PublicJWK returns the public JWK of k, with kid, alg and use "sig".
// HS256 keys are secrets and are refused.
func PublicJWK(k *Key) (JWK, error) {
	if k == nil {
		return JWK{}, errJWKKey
	}
	j := JWK{Kid: k.ID, Alg: k.Alg, Use: "sig"}
	switch pub := k.Verify.(type) {
	case ed25519.PublicKey:
		if k.Alg != AlgEdDSA || len(pub) != ed25519.PublicKeySize {
			return JWK{}, errJWKKey
		}
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64e(pub)
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes()
		if k.Alg != AlgES256 || err != nil || pub.Curve != elliptic.P256() {
			return JWK{}, errJWKKey
		}
		j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64e(raw[1:33]), b64e(raw[33:])
	case *rsa.PublicKey:
		if k.Alg != AlgRS256 || pub.N == nil {
			return JWK{}, errJWKKey
		}
		j.Kty, j.N, j.E = "RSA", b64e(pub.N.Bytes()), b64e(big.NewInt(int64(pub.E)).Bytes())
	case []byte:
		return JWK{}, errJWKSecret
	default:
		return JWK{}, errJWKKey
	}
	return j, nil
}

func b64e(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// KeyFromJWK turns a published JWK into a verify-only Key. It is strict:
// kid and alg are required, alg must agree with kty and crv, coordinates
// must have their exact lengths, and RSA moduli must be 2048 to 8192 bits.
func KeyFromJWK(j JWK) (*Key, error) {
	switch {
	case j.Kid == "":
		return nil, errJWKKid
	case j.Use != "" && j.Use != "sig":
		return nil, errJWKUse
	}
	var pub any
	var err error
	switch j.Alg {
	case AlgEdDSA:
		pub, err = ed25519FromJWK(j)
	case AlgES256:
		pub, err = p256FromJWK(j)
	case AlgRS256:
		pub, err = rsaFromJWK(j)
	case AlgHS256:
		return nil, errJWKSecret
	default:
		return nil, errJWKKey
	}
	if err != nil {
		return nil, err
	}
	return &Key{ID: j.Kid, Alg: j.Alg, Method: MethodFor(j.Alg), Verify: pub}, nil
}

// b64d decodes a JWK member, which must be canonical base64url of exactly n
// bytes (n < 0: any non-empty length).
func b64d(s string, n int) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil || len(b) == 0 || (n >= 0 && len(b) != n) {
		return nil, errJWKField
	}
	return b, nil
}

func ed25519FromJWK(j JWK) (ed25519.PublicKey, error) {
	if j.Kty != "OKP" || j.Crv != "Ed25519" || j.Y != "" || j.N != "" || j.E != "" {
		return nil, errJWKKey
	}
	x, err := b64d(j.X, ed25519.PublicKeySize)
	return ed25519.PublicKey(x), err
}

func p256FromJWK(j JWK) (*ecdsa.PublicKey, error) {
	if j.Kty != "EC" || j.Crv != "P-256" || j.N != "" || j.E != "" {
		return nil, errJWKKey
	}
	x, err := b64d(j.X, 32)
	if err != nil {
		return nil, err
	}
	y, err := b64d(j.Y, 32)
	if err != nil {
		return nil, err
	}
	// ParseUncompressedPublicKey refuses points not on the curve.
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, errJWKField
	}
	return pub, nil
}

func rsaFromJWK(j JWK) (*rsa.PublicKey, error) {
	if j.Kty != "RSA" || j.Crv != "" || j.X != "" || j.Y != "" {
		return nil, errJWKKey
	}
	n, err := b64d(j.N, -1)
	if err != nil {
		return nil, err
	}
	e, err := b64d(j.E, -1)
	if err != nil {
		return nil, err
	}
	// Leading zero bytes would give one key several spellings (and kids).
	if n[0] == 0 || e[0] == 0 || len(e) > 4 {
		return nil, errJWKRSA
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits || pub.E < 3 || pub.E&1 == 0 || pub.E > 1<<31-1 {
		return nil, errJWKRSA
	}
	return pub, nil
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of j, base64url: the kid
// of Gatehouse's asymmetric keys. Only the required members take part, in
// lexicographic order, so the thumbprint does not depend on kid, alg or use.
func Thumbprint(j JWK) (string, error) {
	var members [][2]string
	switch j.Kty {
	case "OKP": // RFC 8037 §2
		members = [][2]string{{"crv", j.Crv}, {"kty", j.Kty}, {"x", j.X}}
	case "EC":
		members = [][2]string{{"crv", j.Crv}, {"kty", j.Kty}, {"x", j.X}, {"y", j.Y}}
	case "RSA":
		members = [][2]string{{"e", j.E}, {"kty", j.Kty}, {"n", j.N}}
	default:
		return "", errJWKKey
	}
	b := []byte{'{'}
	for i, m := range members {
		if m[1] == "" {
			return "", errJWKField
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(appendString(b, m[0]), ':'), m[1])
	}
	sum := sha256.Sum256(append(b, '}'))
	return b64e(sum[:]), nil
}
