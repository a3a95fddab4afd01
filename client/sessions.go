package client

import (
	"context"
	"net/url"
	"strconv"
)

// Sessions is a page of the caller's live sessions, newest first (GET
// /v1/sessions); p.Cursor is a previous page's Next.
func (c *Client) Sessions(ctx context.Context, p Page) (*SessionPage, error) {
	var out SessionPage
	if err := c.call(ctx, "GET", "/v1/sessions"+pageQuery(p, "after"), asUser, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndSession ends one of the caller's sessions (DELETE /v1/sessions/{id});
// another than the current one needs a fresh auth_time. Ending the
// current one empties the store but for the device id.
func (c *Client) EndSession(ctx context.Context, id string) error {
	if err := c.call(ctx, "DELETE", "/v1/sessions/"+url.PathEscape(id), asUser, nil, nil); err != nil {
		return err
	}
	return c.forget(ctx, func(t Tokens) bool { return t.SessionID == id })
}

// Logout ends sessions (POST /v1/logout): ScopeLocal this one, ScopeOthers
// every other (fresh auth_time needed), ScopeGlobal all. Unless the scope
// is ScopeOthers the store keeps only the device id.
func (c *Client) Logout(ctx context.Context, scope Scope) error {
	var in any
	if scope != "" {
		in = map[string]string{"scope": string(scope)}
	}
	if err := c.call(ctx, "POST", "/v1/logout", asUser, in, nil); err != nil {
		return err
	}
	return c.forget(ctx, func(Tokens) bool { return scope != ScopeOthers })
}

// forget drops the stored credentials when end says the session ended.
func (c *Client) forget(ctx context.Context, end func(Tokens) bool) error {
	t, err := c.tokens.Load(ctx)
	if err != nil || !end(t) {
		return err
	}
	return c.tokens.Save(ctx, t.loggedOut())
}

func itoa(n int) string { return strconv.Itoa(n) }
