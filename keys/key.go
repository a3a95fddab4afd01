package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// hsSecretLen is the size of a generated HS256 secret: the hash's output
// size, as RFC 7518 §3.2 asks.
const hsSecretLen = 32

// hsKidLabel separates the HS256 kid hash from any other hash of the secret.
const hsKidLabel = "gatehouse-hs256-kid\x00"

var (
	errAlg      = errors.New("keys: unsupported algorithm")
	errMaterial = errors.New("keys: private key does not match its algorithm")
	errKid      = errors.New("keys: stored kid does not match the key")
)

// Generate makes a new key of alg that signs from now: Ed25519, P-256,
// RSA-2048 or a 32-byte HS256 secret. Private is PKCS#8 DER (the raw secret
// for HS256); ID is the RFC 7638 thumbprint of the public JWK (for HS256 a
// hash of the secret, which reveals nothing of it).
func Generate(alg string, now time.Time) (store.Key, error) {
	priv, err := generate(alg)
	if err != nil {
		return store.Key{}, err
	}
	k, err := tokenKey(alg, priv)
	if err != nil {
		return store.Key{}, err
	}
	der, err := marshal(priv)
	if err != nil {
		return store.Key{}, err
	}
	id, err := kidOf(k)
	if err != nil {
		return store.Key{}, err
	}
	return store.Key{ID: id, Alg: alg, Private: der, CreatedAt: now, SignFrom: now}, nil
}

func generate(alg string) (any, error) {
	switch alg {
	case token.AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case token.AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case token.AlgRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case token.AlgHS256:
		secret := make([]byte, hsSecretLen)
		_, err := rand.Read(secret)
		return secret, err
	}
	return nil, fmt.Errorf("%w: %q", errAlg, alg)
}

func marshal(priv any) ([]byte, error) {
	if secret, ok := priv.([]byte); ok {
		return secret, nil
	}
	return x509.MarshalPKCS8PrivateKey(priv)
}

// Load parses a stored key into a token.Key that can sign and verify. It
// checks that the material fits the algorithm and that the stored kid is the
// key's own, so a corrupted or tampered row is refused rather than
// published.
func Load(k store.Key) (*token.Key, error) {
	priv, err := parsePrivate(k)
	if err != nil {
		return nil, fmt.Errorf("keys: load %s: %w", k.ID, err)
	}
	tk, err := tokenKey(k.Alg, priv)
	if err != nil {
		return nil, fmt.Errorf("keys: load %s: %w", k.ID, err)
	}
	id, err := kidOf(tk)
	if err != nil || id != k.ID {
		return nil, fmt.Errorf("keys: load %s: %w", k.ID, errKid)
	}
	return tk, nil
}

func parsePrivate(k store.Key) (any, error) {
	if k.Alg == token.AlgHS256 {
		return bytes.Clone(k.Private), nil
	}
	if token.MethodFor(k.Alg) == nil {
		return nil, fmt.Errorf("%w: %q", errAlg, k.Alg)
	}
	return x509.ParsePKCS8PrivateKey(k.Private)
}

// tokenKey pairs private material with its algorithm, refusing any
// mismatch (an RSA key stored as ES256, a P-384 key, a short secret).
func tokenKey(alg string, priv any) (*token.Key, error) {
	k := &token.Key{Alg: alg, Method: token.MethodFor(alg), Sign: priv}
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		k.Verify = p.Public()
		return k, check(alg == token.AlgEdDSA)
	case *ecdsa.PrivateKey:
		k.Verify = &p.PublicKey
		return k, check(alg == token.AlgES256 && p.Curve == elliptic.P256())
	case *rsa.PrivateKey:
		k.Verify = &p.PublicKey
		return k, check(alg == token.AlgRS256 && p.N.BitLen() >= 2048)
	case []byte:
		k.Verify = p
		return k, check(alg == token.AlgHS256 && len(p) >= hsSecretLen)
	}
	return nil, errMaterial
}

func check(ok bool) error {
	if !ok {
		return errMaterial
	}
	return nil
}

// kidOf computes the kid of k (and sets k.ID): the RFC 7638 thumbprint of
// its public JWK, or for HS256 a truncated labelled hash of the secret.
func kidOf(k *token.Key) (string, error) {
	if secret, ok := k.Verify.([]byte); ok {
		sum := sha256.Sum256(append([]byte(hsKidLabel), secret...))
		k.ID = base64.RawURLEncoding.EncodeToString(sum[:16])
		return k.ID, nil
	}
	j, err := token.PublicJWK(k)
	if err != nil {
		return "", err
	}
	if k.ID, err = token.Thumbprint(j); err != nil {
		return "", err
	}
	return k.ID, nil
}
