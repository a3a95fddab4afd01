// Package revoke holds the local revocation set: the session ids and per-user
// "not before" times whose access tokens must be refused although their
// signatures are valid.
//
// Entries only need to outlive the access-token TTL, so the set is small,
// lives in every node's memory and answers with one map lookup and no I/O.
// It is loaded from the store at start, written through on every revocation,
// and can be fed from outside (another node, the revocation feed).
package revoke
