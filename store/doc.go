// Package store defines Gatehouse's persistent state — users, sessions with
// their refresh chains, revocations, signing keys, rate-limit buckets — as small
// interfaces, and the sentinel errors every backend returns.
//
// Every state change is one atomic operation in its backend (a transaction,
// or one Lua script in Redis); callers pass the current time in, so expiry is
// decided by an injected clock and never by the database's own. The
// conformance suite in storetest is run by every backend.
package store
