package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
)

// p256N is the order of P-256, big-endian.
var p256N = elliptic.P256().Params().N.FillBytes(make([]byte, 32))

var (
	errSigLength = invalid("signature has the wrong length")
	errSigRange  = invalid("ECDSA r or s out of range")
)

// checkShape refuses keys a KeySource should not have handed out and
// signatures that cannot be valid for the key, before any cryptography: the
// method must be the one the algorithm names, the key of the matching type,
// and the signature of the exact length (ECDSA: r and s in [1, n-1], which
// also rules out the r=0/s=0 forgeries some libraries once accepted).
func checkShape(k *Key, sig []byte) error {
	if k.Method == nil || k.Method != MethodFor(k.Alg) {
		return errBadKey
	}
	switch k.Alg {
	case AlgEdDSA:
		return checkEd25519(k, sig)
	case AlgES256:
		return checkES256(k, sig)
	case AlgRS256:
		return checkRS256(k, sig)
	}
	return checkHS256(k, sig)
}

func checkEd25519(k *Key, sig []byte) error {
	if pub, ok := k.Verify.(ed25519.PublicKey); !ok || len(pub) != ed25519.PublicKeySize {
		return errBadKey
	}
	if len(sig) != ed25519.SignatureSize {
		return errSigLength
	}
	return nil
}

func checkES256(k *Key, sig []byte) error {
	// X and Y are checked because crypto/ecdsa dereferences them.
	if pub, ok := k.Verify.(*ecdsa.PublicKey); !ok || pub == nil || pub.Curve != elliptic.P256() || pub.X == nil || pub.Y == nil {
		return errBadKey
	}
	if len(sig) != 64 {
		return errSigLength
	}
	if !scalarInRange(sig[:32]) || !scalarInRange(sig[32:]) {
		return errSigRange
	}
	return nil
}

// scalarInRange reports 0 < x < n for a 32-byte big-endian x.
func scalarInRange(x []byte) bool {
	var zero [32]byte
	return !bytes.Equal(x, zero[:]) && bytes.Compare(x, p256N) < 0
}

func checkRS256(k *Key, sig []byte) error {
	pub, ok := k.Verify.(*rsa.PublicKey)
	if !ok || pub == nil || pub.N == nil || pub.N.BitLen() < 2048 {
		return errBadKey
	}
	if len(sig) != pub.Size() {
		return errSigLength
	}
	return nil
}

func checkHS256(k *Key, sig []byte) error {
	if secret, ok := k.Verify.([]byte); !ok || len(secret) < 32 {
		return errBadKey
	}
	if len(sig) != 32 {
		return errSigLength
	}
	return nil
}
