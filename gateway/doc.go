// Package gateway is Gatehouse's reverse proxy (backend for frontend): it
// authenticates a request under a --proxy prefix by its session cookie or
// bearer token and forwards it to a stateless upstream with a short-lived
// access token minted for the session and the X-Auth-* headers of
// GET /v1/verify, after removing every such header the client sent.
//
// Upstreams never see Gatehouse's cookies; browsers never see the token.
package gateway
