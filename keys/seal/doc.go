// Package seal encrypts the private values Gatehouse keeps in its store —
// signing keys and named server secrets — under a master key that never
// lives in the store, so a leaked database or backup yields none of them.
//
// The store keeps opaque bytes; sealing happens above it (keys.Manager,
// keys.Secret), so every backend gets it for free.
package seal
