package client_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/httpapi"
)

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, sentinel error, status int) *client.Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Status != status || e.Message == "" {
		t.Fatalf("err = %#v, want a *client.Error with status %d and a message", err, status)
	}
	return e
}

// TestAccountMethods runs the user's own endpoints once each.
func TestAccountMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c := s.newClient()
	u := must[*client.User](t)(c.Signup(ctx, "alice", pw))
	if u.Username != "alice" || u.ID == "" || u.CreatedAt.IsZero() || u.Roles == nil {
		t.Fatalf("user %+v", u)
	}
	_, err := c.Signup(ctx, "Alice", pw)
	wantErr(t, err, client.ErrUserExists, 409)
	_, err = c.Login(ctx, "alice", "wrong password!")
	wantErr(t, err, client.ErrInvalidCredentials, 401)

	p := must[*client.TokenPair](t)(c.Login(ctx, "alice", pw))
	if p.TokenType != "Bearer" || p.AccessToken == "" || p.RefreshToken == "" || p.ExpiresIn <= 0 {
		t.Fatalf("pair %+v", p)
	}
	// The device id is remembered: the same device's second login
	// replaces its session.
	p2 := must[*client.TokenPair](t)(c.Login(ctx, "alice", pw))
	if p2.DeviceID != p.DeviceID || p2.SessionID == p.SessionID {
		t.Fatalf("second login: device %s→%s session %s→%s", p.DeviceID, p2.DeviceID, p.SessionID, p2.SessionID)
	}
	me := must[*client.Me](t)(c.Me(ctx))
	if me.User.ID != u.ID || me.Session.ID != p2.SessionID || !me.Session.Current {
		t.Fatalf("me %+v", me)
	}
	id := must[*client.Identity](t)(c.Verify(ctx))
	if id.UserID != u.ID || id.SessionID != p2.SessionID || id.Username != "alice" || id.Roles == nil || len(id.Roles) != 0 {
		t.Fatalf("verify %+v", id)
	}
	ev := must[*client.EventPage](t)(c.Events(ctx, client.Page{Limit: 1}))
	if len(ev.Events) != 1 || ev.Next == "" {
		t.Fatalf("events %+v", ev)
	}
	ev2 := must[*client.EventPage](t)(c.Events(ctx, client.Page{Limit: 1, Cursor: ev.Next}))
	if len(ev2.Events) != 1 || ev2.Events[0].ID == ev.Events[0].ID {
		t.Fatalf("events page 2 %+v", ev2)
	}

	r := must[*client.TokenPair](t)(c.Refresh(ctx))
	if r.AccessToken == p2.AccessToken || r.RefreshToken == p2.RefreshToken {
		t.Fatal("refresh returned the same pair")
	}
	ok(t, c.ChangePassword(ctx, pw, "a new password 2"))
	_, err = c.Reauth(ctx, pw)
	wantErr(t, err, client.ErrInvalidCredentials, 401)
	ra := must[*client.TokenPair](t)(c.Reauth(ctx, "a new password 2"))
	if ra.SessionID != r.SessionID {
		t.Fatalf("reauth changed the session: %s → %s", r.SessionID, ra.SessionID)
	}
	ok(t, c.DeleteMe(ctx))
	if tok := must[client.Tokens](t)(c.Tokens().Load(ctx)); tok != (client.Tokens{}) {
		t.Fatalf("store after DeleteMe: %+v", tok)
	}
	_, err = c.Login(ctx, "alice", "a new password 2")
	wantErr(t, err, client.ErrInvalidCredentials, 401)
}

// TestSessionMethods: paging, ending one session, logout scopes, step-up.
func TestSessionMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	a, _ := s.loggedIn("bob")
	b := s.newClient()
	must[*client.TokenPair](t)(b.Login(ctx, "bob", pw))
	third := s.newClient()
	must[*client.TokenPair](t)(third.Login(ctx, "bob", pw))

	page := must[*client.SessionPage](t)(a.Sessions(ctx, client.Page{Limit: 2}))
	if len(page.Sessions) != 2 || page.Next == "" {
		t.Fatalf("page 1: %+v", page)
	}
	rest := must[*client.SessionPage](t)(a.Sessions(ctx, client.Page{Limit: 2, Cursor: page.Next}))
	if len(rest.Sessions) != 1 || rest.Next != "" {
		t.Fatalf("page 2: %+v", rest)
	}
	_, err := a.Sessions(ctx, client.Page{Limit: 5000})
	wantErr(t, err, client.ErrInvalidRequest, 400)

	bt := must[client.Tokens](t)(b.Tokens().Load(ctx))
	ok(t, a.EndSession(ctx, bt.SessionID))
	_, err = b.Me(ctx)
	wantErr(t, err, client.ErrTokenRevoked, 401)
	err = a.EndSession(ctx, "no-such-session")
	wantErr(t, err, client.ErrNotFound, 404)

	// Step-up: logging out others needs a recent login.
	s.clock.Add(11 * time.Minute)
	err = a.Logout(ctx, client.ScopeOthers)
	wantErr(t, err, client.ErrReauthRequired, 401)
	must[*client.TokenPair](t)(a.Reauth(ctx, pw))
	ok(t, a.Logout(ctx, client.ScopeOthers))
	_, err = third.Me(ctx)
	wantErr(t, err, client.ErrTokenRevoked, 401)
	if tok := must[client.Tokens](t)(a.Tokens().Load(ctx)); tok.AccessToken == "" {
		t.Fatal("logout of the others cleared the caller's own tokens")
	}
	ok(t, a.Logout(ctx, client.ScopeLocal))
	tok := must[client.Tokens](t)(a.Tokens().Load(ctx))
	if tok.AccessToken != "" || tok.RefreshToken != "" || tok.DeviceID == "" {
		t.Fatalf("store after logout: %+v (the device id stays, the tokens go)", tok)
	}
	_, err = a.Me(ctx)
	if !errors.Is(err, client.ErrInvalidToken) {
		t.Fatalf("Me after logout: %v", err)
	}
}

// TestServerMethods: introspection, revocation, keys.
func TestServerMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, uid := s.loggedIn("carol")
	tok := must[client.Tokens](t)(c.Tokens().Load(ctx))
	in := must[*client.Introspection](t)(c.Introspect(ctx, tok.AccessToken))
	if !in.Active || in.Subject != uid || in.SessionID != tok.SessionID || in.ExpiresAt == 0 {
		t.Fatalf("introspection %+v", in)
	}
	keys := must[*client.JWKS](t)(c.JWKS(ctx))
	if len(keys.Keys) == 0 || keys.Keys[0].Kid == "" || keys.Keys[0].Use != "sig" {
		t.Fatalf("jwks %+v", keys)
	}
	ok(t, c.Revoke(ctx, tok.RefreshToken))
	if in := must[*client.Introspection](t)(c.Introspect(ctx, tok.AccessToken)); in.Active {
		t.Fatalf("revoked token still active: %+v", in)
	}
	_, err := s.newClient(client.WithAdminToken("not-the-admin-token-0123456789abcdef")).Introspect(ctx, tok.AccessToken)
	wantErr(t, err, client.ErrInvalidToken, 401)
}

// TestAdminMethods runs the admin endpoints once each.
func TestAdminMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, uid := s.loggedIn("dave")
	admin := s.newClient()
	list := must[[]client.Session](t)(admin.UserSessions(ctx, uid))
	if len(list) != 1 || list[0].Current {
		t.Fatalf("sessions %+v", list)
	}
	u := must[*client.User](t)(admin.SetRoles(ctx, uid, []string{"ops", "admin"}))
	if !slices.Equal(u.Roles, []string{"admin", "ops"}) && !slices.Equal(u.Roles, []string{"ops", "admin"}) {
		t.Fatalf("roles %v", u.Roles)
	}
	// Roles reach access tokens at the next refresh; Verify reads them
	// from X-Auth-Roles.
	must[*client.TokenPair](t)(c.Refresh(ctx))
	id := must[*client.Identity](t)(c.Verify(ctx))
	if got := slices.Sorted(slices.Values(id.Roles)); !slices.Equal(got, []string{"admin", "ops"}) || id.UserID != uid {
		t.Fatalf("verify after the roles changed: %+v", id)
	}
	_, err := admin.SetRoles(ctx, "no-such-user", nil)
	wantErr(t, err, client.ErrNotFound, 404)
	ev := must[*client.EventPage](t)(admin.UserEvents(ctx, uid, client.Page{}))
	if len(ev.Events) == 0 {
		t.Fatal("no events")
	}
	ok(t, admin.ForceLogout(ctx, uid))
	_, err = c.Me(ctx)
	wantErr(t, err, client.ErrTokenRevoked, 401)
	ok(t, admin.ResetPassword(ctx, uid, "reset password 3"))
	must[*client.TokenPair](t)(c.Login(ctx, "dave", "reset password 3"))
	_, err = client.New(s.url).UserSessions(ctx, uid)
	wantErr(t, err, client.ErrInvalidToken, 401)
}

// TestSessionLimitChallenge: a refused login carries the sessions and the
// challenge that ResolveLogin redeems.
func TestSessionLimitChallenge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, func(c *config.Config) { c.MaxSessions, c.SessionOverflow = 1, "reject" })
	first, _ := s.loggedIn("erin")
	second := s.newClient()
	_, err := second.Login(ctx, "erin", pw)
	e := wantErr(t, err, client.ErrSessionLimit, 409)
	if e.Limit == nil || e.Limit.LoginChallenge == "" || len(e.Limit.Sessions) != 1 || e.Limit.ChallengeExpiresIn <= 0 {
		t.Fatalf("limit %+v", e.Limit)
	}
	must[*client.TokenPair](t)(second.ResolveLogin(ctx, e.Limit.LoginChallenge, e.Limit.Sessions[0].ID))
	must[*client.Me](t)(second.Me(ctx))
	_, err = first.Me(ctx)
	wantErr(t, err, client.ErrTokenRevoked, 401)
}

// TestRateLimitedCarriesRetryAfter: RetryAfter comes from the header.
func TestRateLimitedCarriesRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, _ := s.loggedIn("frank")
	var err error
	for i := 0; i < 100 && !errors.Is(err, client.ErrRateLimited); i++ {
		_, err = c.Login(ctx, "frank", "wrong password!")
	}
	e := wantErr(t, err, client.ErrRateLimited, 429)
	if e.RetryAfter <= 0 {
		t.Fatalf("RetryAfter %v", e.RetryAfter)
	}
}

// TestEveryServerCodeHasASentinel: each code the server can answer
// (httpapi.ErrorCodes) is matched by a sentinel of this package.
func TestEveryServerCodeHasASentinel(t *testing.T) {
	t.Parallel()
	have := client.Codes()
	for _, code := range httpapi.ErrorCodes() {
		if !slices.Contains(have, code) {
			t.Errorf("no sentinel for %q", code)
		}
		e := &client.Error{Code: code}
		if errors.Is(e, client.ErrLoggedOut) {
			t.Errorf("%q matches ErrLoggedOut", code)
		}
	}
}
