package dpop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Proof is a checked proof.
type Proof struct {
	JKT   string    // RFC 7638 thumbprint of the proof's key
	JTI   string    // jti
	HTM   string    // htm
	HTU   string    // htu as sent
	ATH   string    // ath ("" at token endpoints)
	Nonce string    // nonce ("" when none was sent)
	IAT   time.Time // iat
}

// Request is what a proof is checked against.
type Request struct {
	Method string // the request's method
	// URL is scheme://host[:port]/path of the request as the client
	// addressed it (query and fragment left out); it is normalised like
	// the proof's htu before they are compared.
	URL string
	// AccessToken is the token presented with the proof: "" at token
	// endpoints, where ath must then be absent.
	AccessToken string
	// JKT, when not empty, is the key the token or session is bound to:
	// a proof by another key fails with ErrKeyMismatch.
	JKT string
	// Header holds every value of the DPoP header: none is ErrMissing,
	// more than one is refused.
	Header []string
}

// Options configure a Checker.
type Options struct {
	Now    func() time.Time // the clock; nil means time.Now
	Window time.Duration    // iat skew allowed either way, and how long a jti is remembered; 0 means 60 s
	Replay ReplayCache      // required
	Nonce  *Nonces          // nil: nonces off (a nonce claim is ignored)
}

// DefaultWindow is the iat window of API.md.
const DefaultWindow = 60 * time.Second

// Checker checks proofs. It is safe for concurrent use.
type Checker struct{ o Options }

// New returns a Checker. It panics without a replay cache: a proof that
// can be used twice is no proof.
func New(o Options) *Checker {
	if o.Replay == nil {
		panic("dpop: Options.Replay is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	return &Checker{o: o}
}

// Nonces returns the checker's nonces (nil when off).
func (c *Checker) Nonces() *Nonces { return c.o.Nonce }

var (
	errManyHeaders = invalid("more than one DPoP header")
	errHTM         = invalid("htm does not match the request method")
	errHTU         = invalid("htu does not match the request URL")
	errRequestURL  = invalid("request URL cannot be normalised")
	errIATFuture   = invalid("iat too far in the future")
	errIATPast     = invalid("iat too old")
	errATHMissing  = invalid("ath missing with an access token")
	errATHPresent  = invalid("ath present without an access token")
	errATH         = invalid("ath does not match the access token")
	errNonceStale  = &reasonError{ErrUseNonce, "nonce missing or stale"}
	errReplayed    = &reasonError{ErrReplayed, "jti seen before"}
	errKeyMismatch = &reasonError{ErrKeyMismatch, "proof key is not the bound key"}
)

// Check checks the proof in r and returns it. The order: shape, header,
// signature (nothing unauthenticated is acted upon), claims against the
// request and the token, the bound key, and last the replay cache, so only
// a proof that passes everything else spends its jti.
func (c *Checker) Check(ctx context.Context, r Request) (*Proof, error) {
	switch len(r.Header) {
	case 0:
		return nil, ErrMissing
	case 1:
	default:
		return nil, errManyHeaders
	}
	p, err := parse(r.Header[0])
	if err != nil {
		return nil, err
	}
	if err := c.match(p, r); err != nil {
		return nil, err
	}
	first, err := c.o.Replay.Use(ctx, p.JTI, p.JKT, p.IAT.Add(c.o.Window))
	if err != nil {
		return nil, err
	}
	if !first {
		return nil, errReplayed
	}
	return p, nil
}

// match checks the claims of a proof whose signature verified against r.
func (c *Checker) match(p *Proof, r Request) error {
	if p.HTM != r.Method {
		return errHTM
	}
	want, err := NormalizeHTU(r.URL)
	if err != nil {
		return errRequestURL
	}
	if got, err := NormalizeHTU(p.HTU); err != nil {
		return err
	} else if got != want {
		return errHTU
	}
	now := c.o.Now()
	switch {
	case p.IAT.After(now.Add(c.o.Window)):
		return errIATFuture
	case p.IAT.Before(now.Add(-c.o.Window)):
		return errIATPast
	}
	switch {
	case r.AccessToken == "" && p.ATH != "":
		return errATHPresent
	case r.AccessToken != "" && p.ATH == "":
		return errATHMissing
	case r.AccessToken != "" && p.ATH != AccessTokenHash(r.AccessToken):
		return errATH
	}
	if c.o.Nonce != nil && !c.o.Nonce.Valid(p.Nonce) {
		return errNonceStale
	}
	if r.JKT != "" && r.JKT != p.JKT {
		return errKeyMismatch
	}
	return nil
}

// AccessTokenHash is the ath of tok: base64url SHA-256 of its ASCII bytes.
func AccessTokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// MaxProofLength caps a proof: one with a P-256 key is about 600 bytes.
const MaxProofLength = 4 << 10

var (
	errEmpty     = invalid("empty proof")
	errTooLong   = invalid("proof longer than 4 KiB")
	errCharset   = invalid("character outside the base64url alphabet")
	errSegments  = invalid("not three dot-separated segments")
	errBase64    = invalid("segment is not canonical base64url")
	errSignature = invalid("signature does not verify")
)

var b64 = base64.RawURLEncoding.Strict()

func b64url(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// parse checks the proof's shape, header and signature and reads its
// claims.
func parse(proof string) (*Proof, error) {
	switch {
	case proof == "":
		return nil, errEmpty
	case len(proof) > MaxProofLength:
		return nil, errTooLong
	}
	for i := 0; i < len(proof); i++ {
		if c := proof[i]; c != '.' && !b64url(c) {
			return nil, errCharset
		}
	}
	seg := strings.Split(proof, ".")
	if len(seg) != 3 || seg[0] == "" || seg[1] == "" || seg[2] == "" {
		return nil, errSegments
	}
	hdr, err := b64.DecodeString(seg[0])
	if err != nil {
		return nil, errBase64
	}
	payload, err := b64.DecodeString(seg[1])
	if err != nil {
		return nil, errBase64
	}
	sig, err := b64.DecodeString(seg[2])
	if err != nil {
		return nil, errBase64
	}
	key, jkt, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	if err := token.VerifySignature(key, seg[0]+"."+seg[1], sig); err != nil {
		return nil, errSignature
	}
	p, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	p.JKT = jkt
	return p, nil
}

func sha256Sum(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }
