// Package reqauth decides which principal an HTTP request speaks for, by
// the API's credential rules, so the JSON API and the gateway cannot
// drift apart: the same credentials in the same order, the same one
// spelling each.
package reqauth
