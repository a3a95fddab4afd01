package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

func TestAdmin(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid, p := e.user("beth")
	b := e.login("beth", "correct horse battery")
	expect(t, e.do("GET", "/v1/admin/users/"+uid+"/sessions", "wrong", nil), 401, "invalid_token")
	r := e.do("GET", "/v1/admin/users/"+uid+"/sessions", adminToken, nil)
	expect(t, r, 200, "")
	if n := len(r.json(t)["sessions"].([]any)); n != 2 {
		t.Fatalf("%d sessions", n)
	}
	expect(t, e.do("GET", "/v1/admin/users/nope/sessions", adminToken, nil), 404, "not_found")
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", adminToken, map[string]any{"roles": []string{"bad role!"}}), 400, "invalid_request")
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", adminToken, map[string]any{}), 400, "invalid_request")
	expect(t, e.do("POST", "/v1/admin/users/"+uid+"/logout", adminToken, nil), 204, "")
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
	expect(t, e.do("GET", "/v1/me", b.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(b.Refresh), 401, "invalid_refresh_token")
	expect(t, e.do("POST", "/v1/admin/users/nope/logout", adminToken, nil), 404, "not_found")
}

func TestAdminDisabledWithoutToken(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AdminToken = "" })
	expect(t, e.do("POST", "/v1/admin/users/x/logout", "", nil), 403, "forbidden")
	expect(t, e.do("POST", "/v1/admin/users/x/logout", "anything", nil), 403, "forbidden")
}

// Before the fix wrong admin tokens were never limited.
func TestWrongAdminTokensAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateIPBurst, c.RateIPPerMinute = 3, 0.001 })
	id := e.signup("adm-target", "correct horse battery")
	for i := range 3 {
		expect(t, e.do("POST", "/v1/admin/users/"+id+"/logout", fmt.Sprintf("wrong-admin-token-%02d-0123456789abcdef", i), nil), 401, "invalid_token")
	}
	r := e.do("POST", "/v1/admin/users/"+id+"/logout", "wrong-admin-token-99-0123456789abcdef", nil)
	expect(t, r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// the right token from the blocked address waits too: the limit is on the address
	expect(t, e.do("POST", "/v1/admin/users/"+id+"/logout", adminToken, nil), 429, "rate_limited")
}
