// Package revoke holds the local revocation set: the session ids and per-user
// "not before" times whose access tokens must be refused although their
// signatures are valid.
//
// Entries only need to outlive the access-token TTL, so the set is small,
// lives in every node's memory and answers with one map lookup and no I/O.
// It is written through on every local revocation (Add) and follows the
// store's ordered revocation log with a cursor (Sync), which is also what
// feeds subscribers (Subscribe, Resume): the foundation of the revocation
// feed and of node-to-node propagation.
package revoke
