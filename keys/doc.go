// Package keys generates, loads and rotates Gatehouse's signing keys and
// publishes their public halves as a JWKS.
//
// The store is the source of truth, so every node and the CLI derive the
// same signer and the same published set from it: a key is published before
// it signs, and stays published after it stops until its stored keep-until,
// the last instant a token it signed can be accepted. Only the server (a
// Manager with Role Scheduler) retires and deletes keys, because only it
// knows the access TTL its tokens carry.
//
// Private key material and named server secrets (Secret) are sealed under
// the master key (package keys/seal) before they reach the store, so the
// database alone yields none of them.
package keys
