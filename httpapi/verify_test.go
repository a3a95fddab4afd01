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
	// The 200 is headers only: proxies read nothing else.
	if len(r.body) != 0 || r.header.Get("Content-Length") != "0" || r.header.Get("Content-Type") != "" {
		t.Fatalf("the 200 must have an empty body: Content-Length %q, Content-Type %q, body %q",
			r.header.Get("Content-Length"), r.header.Get("Content-Type"), r.body)
	}
	expect(t, e.do("GET", "/v1/verify", "", nil, "X-Auth-User-Id", uid), 401, "invalid_token")
	// roles take effect at the next refresh
	expect(t, e.do("PUT", "/v1/admin/users/"+uid+"/roles", adminToken, map[string]any{"roles": []string{"admin", "ops"}}), 200, "")
	p2 := toPair(t, e.refresh(p.Refresh))
	r = e.do("GET", "/v1/verify", p2.Access, nil)
	if got := r.header.Get("X-Auth-Roles"); got != "admin,ops" {
		t.Fatalf("roles %q", got)
	}
	// The identity headers share one array: each must still be one value
	// of its own.
	for k, want := range map[string]string{"X-Auth-User-Id": uid, "X-Auth-Username": "zoe", "X-Auth-Session-Id": p2.Session} {
		if v := r.header.Values(k); len(v) != 1 || v[0] != want {
			t.Fatalf("%s = %q, want [%q]", k, v, want)
		}
	}
}
