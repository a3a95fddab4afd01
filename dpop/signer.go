package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Signer makes proofs with one key: for tests, the server's own tests and
// Go programs that import this package (the public client has its own
// stdlib-only signer).
type Signer struct {
	key crypto.Signer
	alg string
	jwk token.JWK
	jkt string
	// Now is the clock for iat; nil means time.Now.
	Now func() time.Time
}

var errSignerKey = errors.New("dpop: signer key is not Ed25519 or P-256")

// NewSigner returns a Signer for an ed25519.PrivateKey (EdDSA) or a P-256
// *ecdsa.PrivateKey (ES256).
func NewSigner(key crypto.Signer) (*Signer, error) {
	s := &Signer{key: key}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		s.alg = token.AlgEdDSA
		s.jwk = token.JWK{Kty: "OKP", Crv: "Ed25519", X: b64e(k.Public().(ed25519.PublicKey))}
	case *ecdsa.PrivateKey:
		raw, err := k.PublicKey.Bytes()
		if err != nil || k.Curve != elliptic.P256() {
			return nil, errSignerKey
		}
		s.alg = token.AlgES256
		s.jwk = token.JWK{Kty: "EC", Crv: "P-256", X: b64e(raw[1:33]), Y: b64e(raw[33:])}
	default:
		return nil, errSignerKey
	}
	var err error
	s.jkt, err = token.Thumbprint(s.jwk)
	return s, err
}

// GenerateSigner makes a fresh key for alg ("EdDSA" or "ES256").
func GenerateSigner(alg string) (*Signer, error) {
	switch alg {
	case token.AlgEdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return NewSigner(k)
	case token.AlgES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return NewSigner(k)
	}
	return nil, errSignerKey
}

func b64e(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// JKT is the thumbprint of the signer's key: the cnf.jkt of tokens bound
// to it.
func (s *Signer) JKT() string { return s.jkt }

// Alg is "EdDSA" or "ES256".
func (s *Signer) Alg() string { return s.alg }

// JWK is the public key as the proof header carries it.
func (s *Signer) JWK() token.JWK { return s.jwk }

// Sign makes a proof for a request: htm and htu as the request has them
// (htu without query and fragment), ath = AccessTokenHash of the token
// presented with it ("" at token endpoints), nonce the server's ("" when
// none), a random jti and iat now.
func (s *Signer) Sign(htm, htu, ath, nonce string) (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	claims := map[string]any{"jti": b64e(id[:]), "htm": htm, "htu": htu, "iat": now().Unix()}
	if ath != "" {
		claims["ath"] = ath
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.SignRaw(s.Header(), payload)
}

// Header is the proof header: {"typ":"dpop+jwt","alg":...,"jwk":...}.
func (s *Signer) Header() []byte {
	jwk, _ := json.Marshal(s.jwk)
	return []byte(`{"typ":"dpop+jwt","alg":` + strconv.Quote(s.alg) + `,"jwk":` + string(jwk) + `}`)
}

// SignRaw signs any header and payload JSON as they are: for tests that
// need a hostile proof with a valid signature.
func (s *Signer) SignRaw(header, payload []byte) (string, error) {
	in := b64e(header) + "." + b64e(payload)
	var sig []byte
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(in))
	case *ecdsa.PrivateKey:
		sum := sha256Sum([]byte(in))
		r, ss, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
	}
	return in + "." + b64e(sig), nil
}
