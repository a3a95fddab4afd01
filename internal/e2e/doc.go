// Package e2e holds Gatehouse's end-to-end tests in a real Chromium: the
// whole server (app.Open on SQLite) behind a loopback listener, pages and
// gatehouse.js driven through the DevTools protocol, attacker pages on
// other origins. It has no non-test code beyond this file.
package e2e
