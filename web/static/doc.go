// Package static holds the browser assets Gatehouse serves as they are, with
// no build step: gatehouse.js, the fetch wrapper that adds the CSRF header
// and shares one token refresh among every call and every tab of a page.
//
// The assets are embedded so a single binary serves them; their JavaScript
// tests (gatehouse.test.mjs, run by Node's built-in runner) are run by this
// package's Go test, so `go test ./...` covers them.
package static
