// Package credential extracts the credentials a request carries — the
// Authorization bearer token, a Gatehouse cookie, the parameters of a form
// body — accepting exactly one spelling of each and refusing everything
// else with ErrMalformed, so that no two parsers (server, gateway, verifier
// library) can disagree about what a request presented.
//
// It imports nothing from Gatehouse: the server, the gateway and the
// resource servers' verifier library all share it.
package credential
