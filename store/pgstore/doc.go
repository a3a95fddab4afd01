// Package pgstore is a store.Store on PostgreSQL (pgx, pgxpool), so that
// PostgreSQL alone serves any number of Gatehouse nodes. It mirrors
// sqlitestore operation by operation: every state change is one
// transaction (READ COMMITTED plus explicit locks), and the rules are the
// store package's (PlanCreate, DecideRotation, Session.Live).
//
// Locks, always taken in this order so that writers cannot deadlock: the
// per-user advisory lock (operations on several sessions of a user), then
// session rows, then the revocation id counter row (revlog.go), held until
// commit. Rate-limit buckets take per-key advisory locks in key order.
package pgstore
