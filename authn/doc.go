// Package authn holds Gatehouse's use cases — signup, login, refresh,
// logout, re-authentication, password change, administration — and the
// session policies they enforce, as plain Go with no net/http.
//
// Each use case validates its input, calls one atomic store operation per
// state change, writes every revocation through to the local revocation set,
// and returns sentinel errors that the HTTP layer maps in one table.
package authn
