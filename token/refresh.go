package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// refreshLen is the encoded length of a refresh token: 32 bytes in
// base64url without padding.
const refreshLen = 43

// successorLabel separates successor derivation from any other use of the
// same secret.
const successorLabel = "gatehouse/refresh-successor/v1\x00"

// NewRefreshToken returns a new opaque refresh token: 256 random bits,
// base64url without padding (43 characters).
func NewRefreshToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidRefreshFormat reports whether s has exactly the shape of a refresh
// token, so malformed input is refused before it costs a store lookup.
func ValidRefreshFormat(s string) bool {
	if len(s) != refreshLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !b64url[s[i]] {
			return false
		}
	}
	// 43 characters carry 258 bits; the last two must be zero, as the
	// encoder writes them, so every token has one spelling only.
	_, err := b64.DecodeString(s)
	return err == nil
}

// HashRefresh is what the store keeps instead of the token: SHA-256 is
// enough because the token has 256 bits of entropy (no dictionary to slow
// down).
func HashRefresh(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Successor derives the refresh token that replaces presented. It is
// deterministic, so a replay of presented within the grace window yields the
// same successor without the server having stored it; without secret nobody
// can predict it.
func Successor(secret []byte, presented string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(successorLabel))
	m.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
