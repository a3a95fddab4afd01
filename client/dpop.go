package client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DPoPAlg is the signature algorithm of a DPoP key (RFC 9449).
type DPoPAlg string

// The algorithms Gatehouse accepts in DPoP proofs.
const (
	DPoPEdDSA DPoPAlg = "EdDSA" // Ed25519, the default: the cheapest to check
	DPoPES256 DPoPAlg = "ES256" // ECDSA P-256 with SHA-256
)

// ErrDPoPKey is a stored DPoP key that cannot be used (not PKCS#8, or not
// an Ed25519 or P-256 key).
var ErrDPoPKey = errors.New("gatehouse: unusable DPoP key in the token store")

// NewDPoPKey generates a private key for alg ("" is EdDSA) in the form
// Tokens.DPoPKey keeps it.
func NewDPoPKey(alg DPoPAlg) (string, error) {
	var k crypto.Signer
	var err error
	switch alg {
	case "", DPoPEdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case DPoPES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return "", fmt.Errorf("gatehouse: DPoP algorithm %q: want EdDSA or ES256", alg)
	}
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// prover signs DPoP proofs with one private key.
type prover struct {
	alg    string
	key    crypto.Signer
	header []byte // the encoded JWS header: typ, alg, jwk
	jkt    string
}

// parseProver decodes a Tokens.DPoPKey.
func parseProver(enc string) (*prover, error) {
	der, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDPoPKey, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDPoPKey, err)
	}
	p := &prover{}
	var jwk map[string]string
	switch k := k.(type) {
	case ed25519.PrivateKey:
		p.alg, p.key = string(DPoPEdDSA), k
		jwk = map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(k.Public().(ed25519.PublicKey))}
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA curve %s", ErrDPoPKey, k.Curve.Params().Name)
		}
		pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDPoPKey, err)
		}
		p.alg, p.key = string(DPoPES256), k
		jwk = map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:])}
	default:
		return nil, fmt.Errorf("%w: %T", ErrDPoPKey, k)
	}
	p.jkt = thumbprint(jwk)
	h, err := json.Marshal(struct {
		Typ string            `json:"typ"`
		Alg string            `json:"alg"`
		JWK map[string]string `json:"jwk"`
	}{"dpop+jwt", p.alg, jwk})
	if err != nil {
		return nil, err
	}
	p.header = []byte(b64(h))
	return p, nil
}

// thumbprint is RFC 7638's SHA-256 thumbprint of a public JWK: its
// required members in lexicographic order, no white space.
// encoding/json writes map keys sorted and strings as RFC 7638 wants them
// (the members are base64url and fixed names: nothing to escape).
func thumbprint(jwk map[string]string) string {
	req := map[string]string{"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}
	if jwk["kty"] == "EC" {
		req["y"] = jwk["y"]
	}
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	return b64(sum[:])
}

// proofClaims are a proof's claims (RFC 9449 §4.2).
type proofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// sign makes a proof for one request. access is the access token sent
// with it ("" at the token endpoints), nonce the server's ("" if none).
func (p *prover) sign(method, htu, access, nonce string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	c := proofClaims{JTI: b64(jti), HTM: method, HTU: htu, IAT: now.Unix(), Nonce: nonce}
	if access != "" {
		sum := sha256.Sum256([]byte(access))
		c.ATH = b64(sum[:])
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	input := string(p.header) + "." + b64(body)
	var sig []byte
	switch k := p.key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(input))
	case *ecdsa.PrivateKey:
		// JWS wants R || S, 32 bytes each (RFC 7518 §3.4), not ASN.1.
		h := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// htu is the request's URI for a proof: scheme, authority and path, no
// query or fragment (RFC 9449 §4.2). The Host header wins over the URL's
// host when the caller set it, as it is what the server sees.
func htu(r *http.Request) string {
	u := url.URL{Scheme: r.URL.Scheme, Host: r.URL.Host, Path: r.URL.Path, RawPath: r.URL.RawPath}
	if r.Host != "" {
		u.Host = r.Host
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// origin is the key under which a server's nonce is remembered.
func origin(r *http.Request) string {
	host := r.URL.Host
	if r.Host != "" {
		host = r.Host
	}
	return strings.ToLower(r.URL.Scheme + "://" + host)
}

// nonces remembers the latest DPoP-Nonce of each server (RFC 9449 §8:
// a client uses the last nonce the server gave until it gives another).
type nonces struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *nonces) get(origin string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[origin]
}

// learn keeps the answer's DPoP-Nonce, if any; reports whether it had one.
func (n *nonces) learn(origin string, res *http.Response) bool {
	v := res.Header.Get("DPoP-Nonce")
	if v == "" {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]string{}
	}
	if len(n.m) > 256 { // many servers: start over rather than grow without bound
		clear(n.m)
	}
	n.m[origin] = v
	return true
}

// DPoPThumbprint is the RFC 7638 thumbprint of the key the tokens are
// bound to: the cnf.jkt of their access token. It is "" for bearer
// tokens.
func (t Tokens) DPoPThumbprint() (string, error) {
	if t.DPoPKey == "" {
		return "", nil
	}
	p, err := parseProver(t.DPoPKey)
	if err != nil {
		return "", err
	}
	return p.jkt, nil
}
