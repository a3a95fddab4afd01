package client

import (
	"context"
	"net/url"
)

// Verify asks whom the stored access token belongs to (GET /v1/verify).
func (c *Client) Verify(ctx context.Context) (*Identity, error) {
	var out Identity
	if err := c.call(ctx, "GET", "/v1/verify", asUser, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Introspect is RFC 7662 for any access or refresh token (POST
// /v1/introspect; needs WithAdminToken).
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	var out Introspection
	if err := c.call(ctx, "POST", "/v1/introspect", asAdmin, url.Values{"token": {token}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke ends the session a token belongs to (RFC 7009, POST /v1/revoke);
// holding the token is the authorisation.
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.call(ctx, "POST", "/v1/revoke", asNobody, url.Values{"token": {token}}, nil)
}

// JWKS is the server's public key set (GET /.well-known/jwks.json).
func (c *Client) JWKS(ctx context.Context) (*JWKS, error) {
	var out JWKS
	if err := c.call(ctx, "GET", "/.well-known/jwks.json", asNobody, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
