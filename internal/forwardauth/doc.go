// Package forwardauth holds the integration tests of GET /v1/verify behind
// real reverse proxies: nginx (auth_request), Caddy (forward_auth) and,
// when a binary is at hand (GATEHOUSE_TRAEFIK), Traefik (ForwardAuth),
// each started by the test on its own generated config and free port, in
// front of a tiny upstream. The configs are the ones docs/integrations.md
// shows.
package forwardauth
