package httpapi_test

import (
	"testing"
)

func TestVerifyForwardAuth(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid, p := e.user("zoe")
	r := e.do("GET", "/v1/verify", p.Access, nil, "X-Auth-User-Id", "spoofed")
	expect(t, r, 200, "")
	if r.header.Get("X-Auth-User-Id") != uid || r.header.Get("X-Auth-Username") != "zoe" || r.header.Get("X-Auth-Session-Id") != p.Session {
		t.Fatalf("headers %v", r.header)
	}
	if v, ok := r.header["X-Auth-Roles"]; !ok || v[0] != "" {
		t.Fatalf("X-Auth-Roles must be present and empty: %v", r.header)
	}
	expect(t, e.do("GET", "/v1/verify", "", nil, "X-Auth-User-Id", uid), 401, "invalid_token")
	// roles take effect at the next refresh
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", adminToken, map[string]any{"roles": []string{"admin", "ops"}}), 200, "")
	p2 := toPair(t, e.refresh(p.Refresh))
	if got := e.do("GET", "/v1/verify", p2.Access, nil).header.Get("X-Auth-Roles"); got != "admin,ops" {
		t.Fatalf("roles %q", got)
	}
}
