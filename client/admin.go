package client

import (
	"context"
	"net/url"
)

// The admin methods authenticate with WithAdminToken's token.

func adminPath(userID, what string) string {
	return "/v1/admin/users/" + url.PathEscape(userID) + "/" + what
}

// ForceLogout ends every session of a user (POST
// /v1/admin/users/{id}/logout).
func (c *Client) ForceLogout(ctx context.Context, userID string) error {
	return c.call(ctx, "POST", adminPath(userID, "logout"), asAdmin, nil, nil)
}

// UserSessions lists a user's live sessions (GET
// /v1/admin/users/{id}/sessions).
func (c *Client) UserSessions(ctx context.Context, userID string) ([]Session, error) {
	var out SessionPage
	if err := c.call(ctx, "GET", adminPath(userID, "sessions"), asAdmin, nil, &out); err != nil {
		return nil, err
	}
	return out.Sessions, nil
}

// SetRoles replaces a user's roles (PUT /v1/admin/users/{id}/roles); they
// reach access tokens at the user's next refresh.
func (c *Client) SetRoles(ctx context.Context, userID string, roles []string) (*User, error) {
	if roles == nil {
		roles = []string{}
	}
	var out struct {
		User User `json:"user"`
	}
	if err := c.call(ctx, "PUT", adminPath(userID, "roles"), asAdmin, map[string][]string{"roles": roles}, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// ResetPassword sets a user's password and ends every session (PUT
// /v1/admin/users/{id}/password).
func (c *Client) ResetPassword(ctx context.Context, userID, password string) error {
	return c.call(ctx, "PUT", adminPath(userID, "password"), asAdmin, map[string]string{"password": password}, nil)
}

// UserEvents is a page of a user's audit trail (GET
// /v1/admin/users/{id}/events).
func (c *Client) UserEvents(ctx context.Context, userID string, p Page) (*EventPage, error) {
	var out EventPage
	if err := c.call(ctx, "GET", adminPath(userID, "events")+pageQuery(p, "before"), asAdmin, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
