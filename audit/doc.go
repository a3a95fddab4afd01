// Package audit records session events — created, refreshed, reused,
// evicted, revoked, expired, password changed, reauth — as structured log
// lines and as store records, and hands them to an optional webhook.
//
// Records are written in batches off the request path (one transaction per
// batch), so auditing a refresh does not add a synchronous write to it.
package audit
