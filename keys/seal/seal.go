package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MasterKeyLen is the size of a master key: 32 random bytes.
const MasterKeyLen = 32

// family marks a sealed value of any format version, and prefix this
// version's. A clear value (PKCS#8 DER starts with 0x30; secrets are random)
// begins with these bytes with probability about 2^-56, so the prefix alone
// tells sealed from clear; a value of another version is sealed, not clear,
// and does not open here (it is never sealed a second time).
var (
	family = []byte("\x00ghseal")
	prefix = append(family[:len(family):len(family)], '1')
)

// hkdfInfo separates the sealing key from anything else that might one day be
// derived from the master key.
const hkdfInfo = "gatehouse seal v1: AES-256-GCM"

var (
	// ErrOpen: the value does not open under this master key (another key,
	// or a tampered value). Never a panic, never a partial result.
	ErrOpen = errors.New("seal: value does not open under this master key")
	// ErrMasterKey: a master key of the wrong size.
	ErrMasterKey = errors.New("seal: master key must be 32 bytes")
)

// Box seals and opens values with AES-256-GCM under a key derived by
// HKDF-SHA256 from the master key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New derives the sealing key from master (MasterKeyLen bytes).
func New(master []byte) (*Box, error) {
	if len(master) != MasterKeyLen {
		return nil, fmt.Errorf("%w, got %d", ErrMasterKey, len(master))
	}
	k, err := hkdf.Key(sha256.New, master, nil, hkdfInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// aad binds a sealed value to what it is (kind: "key", "secret") and its
// name (the kid, the secret's name), so a value copied onto another row
// does not open there.
func aad(kind, name string) []byte {
	return []byte("gatehouse/" + kind + "\x00" + name)
}

// Seal encrypts plain for the row (kind, name): prefix ‖ nonce ‖ ciphertext.
// Nonces are random; a Gatehouse seals a handful of values per key.
func (b *Box) Seal(kind, name string, plain []byte) []byte {
	ns := b.aead.NonceSize()
	out := make([]byte, len(prefix)+ns, len(prefix)+ns+len(plain)+b.aead.Overhead())
	copy(out, prefix)
	if _, err := rand.Read(out[len(prefix):]); err != nil {
		panic("seal: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return b.aead.Seal(out, out[len(prefix):], plain, aad(kind, name))
}

// Open decrypts a value Seal made for (kind, name). ErrOpen if it is not
// sealed, was sealed under another master key or for another row, or was
// altered.
func (b *Box) Open(kind, name string, sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if !bytes.HasPrefix(sealed, prefix) || len(sealed) < len(prefix)+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: %s %q", ErrOpen, kind, name)
	}
	body := sealed[len(prefix):]
	plain, err := b.aead.Open(nil, body[:ns], body[ns:], aad(kind, name))
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q", ErrOpen, kind, name)
	}
	return plain, nil
}

// IsSealed reports whether v carries a sealed-value prefix (of any format
// version); a value without one was stored in clear by a Gatehouse from
// before sealing.
func IsSealed(v []byte) bool { return bytes.HasPrefix(v, family) }
