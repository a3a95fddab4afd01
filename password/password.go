package password

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Hash derives an argon2id key from pw with a fresh random salt and returns it
// as a PHC string: $argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<key>, base64
// without padding as the reference argon2 CLI writes it. The error wraps
// ErrInvalidParams if p fails Validate.
//
// Hash runs unbounded; servers should go through a Hasher.
func Hash(pw []byte, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	h := phc{params: p, salt: salt, key: derive(pw, salt, p)}
	return h.encode(), nil
}

// Verify reports whether pw matches the stored PHC string. A malformed stored
// string yields false and an error wrapping ErrMalformedHash; a wrong password
// yields false and a nil error. The comparison takes constant time so the
// response does not leak how many leading bytes of the key matched.
//
// Verify runs unbounded; servers should go through a Hasher.
func Verify(pw []byte, stored string) (bool, error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, err
	}
	return h.matches(pw), nil
}

// NeedsRehash reports whether the stored hash was made with parameters other
// than p, in which case the caller should re-hash the password (which it only
// has in plaintext during a successful login) and store the new string. A
// malformed stored string also reports true: replacing it is always right.
func NeedsRehash(stored string, p Params) bool {
	h, err := parsePHC(stored)
	return err != nil || h.params != p
}

// matches recomputes the key with the stored salt and parameters.
func (h phc) matches(pw []byte) bool {
	got := derive(pw, h.salt, h.params)
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// derive is the single place argon2 is invoked; p must have passed
// checkParams, since argon2.IDKey panics on zero time or threads.
func derive(pw, salt []byte, p Params) []byte {
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}
