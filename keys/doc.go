// Package keys generates, loads and rotates Gatehouse's signing keys and
// publishes their public halves as a JWKS.
//
// The store is the source of truth, so every node and the CLI derive the
// same signer and the same published set from it: a key is published before
// it signs, and stays published after it stops until no token it signed can
// still be alive.
package keys
