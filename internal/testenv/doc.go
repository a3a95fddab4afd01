// Package testenv holds what Gatehouse's tests share: an injected clock that
// tests move by hand (no test sleeps to expire anything) and a cheap,
// valid configuration on a temp dir.
package testenv
