// Package app assembles a Gatehouse node from a config.Config: it opens the
// store, loads keys and the revocation set, builds the use cases and the
// HTTP server, and runs the background loops (sweeper, key schedule).
//
// cmd/gatehouse calls it; tests call it to run a real server on a temp dir.
package app
