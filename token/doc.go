// Package token mints and strictly verifies Gatehouse access tokens (JWS
// compact JWTs with typ "at+jwt") and creates, checks and hashes the opaque
// refresh tokens that go with them.
//
// It imports nothing else from Gatehouse, so resource servers can verify
// tokens with it without pulling in the server; the key, not the token's
// header, always decides the algorithm.
package token
