// Package dpop checks DPoP proofs (RFC 9449): the per-request JWS a client
// signs with its own key so that a token bound to that key is useless to
// whoever steals it. The server, the gateway and the verifier library share
// it, so a proof means the same thing wherever it is checked.
//
// It parses proofs as strictly as package token parses access tokens (the
// same JSON reader), and it imports nothing else from Gatehouse.
package dpop
