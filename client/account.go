package client

import (
	"context"
	"net/url"
)

// Signup creates an account (POST /v1/signup).
func (c *Client) Signup(ctx context.Context, username, password string) (*User, error) {
	var out struct {
		User User `json:"user"`
	}
	err := c.call(ctx, "POST", "/v1/signup", asNobody, map[string]string{"username": username, "password": password}, &out)
	if err != nil {
		return nil, err
	}
	return &out.User, nil
}

// Login logs in with bearer delivery (POST /v1/login) and stores the pair.
// The device id of an earlier login through this store is sent again, so
// the device's old session is replaced rather than joined by a new one.
// At the session limit with the reject policy, the *Error (ErrSessionLimit)
// has Limit set: pass its LoginChallenge to ResolveLogin. With WithDPoP,
// the login is proved with the stored DPoP key, or a new one, and the
// pair is bound to it.
func (c *Client) Login(ctx context.Context, username, password string) (*TokenPair, error) {
	cur, err := c.tokens.Load(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]string{"username": username, "password": password}
	if cur.DeviceID != "" {
		in["device_id"] = cur.DeviceID
	}
	return c.obtain(ctx, "/v1/login", asNobody, in)
}

// ResolveLogin completes a login refused with session_limit by ending one
// of the listed sessions (POST /v1/login/resolve).
func (c *Client) ResolveLogin(ctx context.Context, challenge, endSessionID string) (*TokenPair, error) {
	in := map[string]string{"login_challenge": challenge, "end_session_id": endSessionID}
	return c.obtain(ctx, "/v1/login/resolve", asNobody, in)
}

// Reauth proves the password again for a fresh auth_time (POST
// /v1/reauth); the new pair replaces the stored one.
func (c *Client) Reauth(ctx context.Context, password string) (*TokenPair, error) {
	return c.obtain(ctx, "/v1/reauth", asUser, map[string]string{"password": password})
}

// Refresh rotates the pair now (POST /v1/token/refresh), sharing a
// refresh already under way. Requests refresh by themselves when the
// access token expires; call this to refresh ahead of time.
func (c *Client) Refresh(ctx context.Context) (*TokenPair, error) {
	t, err := c.transport.Refresh(ctx)
	if err != nil {
		return nil, err
	}
	typ := "Bearer"
	if t.DPoPKey != "" {
		typ = "DPoP"
	}
	return &TokenPair{AccessToken: t.AccessToken, TokenType: typ, RefreshToken: t.RefreshToken, SessionID: t.SessionID, DeviceID: t.DeviceID}, nil
}

// obtain posts a request answered by a TokenPair and stores the pair.
// A request as the user (reauth) goes through the Transport, proved with
// the session's key when it is bound; a login is proved with the stored
// key or a new one when the client binds (WithDPoP).
func (c *Client) obtain(ctx context.Context, path string, who credential, in any) (*TokenPair, error) {
	cur, err := c.tokens.Load(ctx)
	if err != nil {
		return nil, err
	}
	key := cur.DPoPKey
	var p TokenPair
	switch {
	case who == asNobody && c.dpop != "":
		if key == "" {
			if key, err = NewDPoPKey(c.dpop); err != nil {
				return nil, err
			}
		}
		err = c.proved(ctx, path, key, in, &p)
	default:
		err = c.call(ctx, "POST", path, who, in, &p)
	}
	if err != nil {
		return nil, err
	}
	t := p.tokens(key)
	if err := c.tokens.Save(ctx, t); err != nil {
		return nil, err
	}
	return &p, nil
}

// Me is the caller's account and session (GET /v1/me).
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var out Me
	if err := c.call(ctx, "GET", "/v1/me", asUser, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangePassword changes the password (POST /v1/password); every other
// session of the user ends.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.call(ctx, "POST", "/v1/password", asUser, map[string]string{"current_password": current, "new_password": next}, nil)
}

// DeleteMe deletes the account (DELETE /v1/me; needs a fresh auth_time,
// see Reauth) and empties the store.
func (c *Client) DeleteMe(ctx context.Context) error {
	if err := c.call(ctx, "DELETE", "/v1/me", asUser, nil, nil); err != nil {
		return err
	}
	return c.tokens.Save(ctx, Tokens{})
}

// Events is a page of the caller's audit trail (GET /v1/me/events);
// p.Cursor is a previous page's Next.
func (c *Client) Events(ctx context.Context, p Page) (*EventPage, error) {
	var out EventPage
	if err := c.call(ctx, "GET", "/v1/me/events"+pageQuery(p, "before"), asUser, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func pageQuery(p Page, cursor string) string {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set(cursor, p.Cursor)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
