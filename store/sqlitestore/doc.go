// Package sqlitestore implements store.Store on a single SQLite file through
// the pure-Go modernc.org/sqlite driver, for single-node deployments.
// Writes go through one connection whose transactions begin IMMEDIATE, so
// every state change is one serialised transaction; reads use a pool.
package sqlitestore
