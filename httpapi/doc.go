// Package httpapi is Gatehouse's JSON API under /v1 and the operational
// endpoints: each handler decodes a size-capped request, calls one authn use
// case and encodes the answer.
//
// Handlers return errors; errors.go maps every error to API.md's status and
// code in one table, so no handler writes an error response by hand.
package httpapi
