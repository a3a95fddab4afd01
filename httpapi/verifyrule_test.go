package httpapi_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestVerifyRules: the forwarded URI (and method) selects the longest
// matching --verify-rule; identity never comes from any other header.
func TestVerifyRules(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) {
		c.VerifyRule = []string{"/admin/=admin,ops", "/admin/public/=viewer,admin", "DELETE /docs/=admin", "/ops=ops"}
	})
	uid, plain := e.user("rita")
	adminID, _ := e.user("adam")
	expect(t, e.do("PUT", "/v1/admin/users/"+adminID+"/roles", adminToken, map[string]any{"roles": []string{"admin"}}), 200, "")
	admin := e.login("adam", "correct horse battery")
	_ = uid
	cases := []struct {
		name   string
		tok    string
		hdr    []string
		status int
		code   string
	}{
		{"no rule matches: any user", plain.Access, []string{"X-Forwarded-Uri", "/app/x"}, 200, ""},
		{"rule needs a role the user lacks", plain.Access, []string{"X-Forwarded-Uri", "/admin/users"}, 403, "forbidden"},
		{"nginx spelling of the URI", plain.Access, []string{"X-Original-URI", "/admin/users"}, 403, "forbidden"},
		{"user with one of the roles", admin.Access, []string{"X-Forwarded-Uri", "/admin/users?x=1"}, 200, ""},
		{"longest prefix wins", plain.Access, []string{"X-Forwarded-Uri", "/admin/public/a"}, 403, "forbidden"},
		{"longest prefix wins for admin too", admin.Access, []string{"X-Forwarded-Uri", "/admin/public/a"}, 200, ""},
		{"dot segments are cleaned before matching", plain.Access, []string{"X-Forwarded-Uri", "/app/../admin/x"}, 403, "forbidden"},
		{"percent-encoding is decoded before matching", plain.Access, []string{"X-Forwarded-Uri", "/%61dmin/x"}, 403, "forbidden"},
		{"repeated slashes are merged", plain.Access, []string{"X-Forwarded-Uri", "//admin//x"}, 403, "forbidden"},
		{"method rule applies to its method", plain.Access, []string{"X-Forwarded-Uri", "/docs/1", "X-Forwarded-Method", "DELETE"}, 403, "forbidden"},
		{"method rule: nginx spelling", plain.Access, []string{"X-Original-URI", "/docs/1", "X-Original-Method", "delete"}, 403, "forbidden"},
		{"method rule ignores other methods", plain.Access, []string{"X-Forwarded-Uri", "/docs/1", "X-Forwarded-Method", "GET"}, 200, ""},
		{"prefix without slash", plain.Access, []string{"X-Forwarded-Uri", "/opsx"}, 403, "forbidden"},
		{"no URI while rules are set", plain.Access, nil, 400, "invalid_request"},
		{"conflicting spellings", plain.Access, []string{"X-Forwarded-Uri", "/app/", "X-Original-URI", "/admin/"}, 400, "invalid_request"},
		{"not a path", plain.Access, []string{"X-Forwarded-Uri", "admin/x"}, 400, "invalid_request"},
		{"spoofed identity headers grant nothing", plain.Access, []string{"X-Forwarded-Uri", "/admin/x", "X-Auth-Roles", "admin", "X-Auth-User-Id", adminID}, 403, "forbidden"},
		{"spoofed identity without a credential", "", []string{"X-Forwarded-Uri", "/app/x", "X-Auth-User-Id", adminID, "X-Auth-Roles", "admin"}, 401, "invalid_token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", "/v1/verify", c.tok, nil, c.hdr...)
			expect(t, r, c.status, c.code)
			if c.status == 200 && r.header.Get("X-Auth-User-Id") == "" {
				t.Fatalf("no identity headers: %v", r.header)
			}
		})
	}
}

func TestVerifyRuleConfig(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"admin=admin", "/admin/=", "/x", "post /a=b"} {
		c := testConfig(t)
		c.VerifyRule = []string{bad}
		if c.Validate() == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
