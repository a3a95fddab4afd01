// Package storetest is the conformance suite every store.Store backend runs:
// call Run from the backend's tests with a function that opens a fresh, empty
// store. All times are injected from a fixed base time, so nothing sleeps,
// and the race tests are meant to run under -race.
package storetest
