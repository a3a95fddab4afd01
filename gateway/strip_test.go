package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// raw sends a hand-written request (header names exactly as given) and
// returns the status.
func (e *env) raw(t *testing.T, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.ReplaceAll(req, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestGatewayStripsClientHeaders: whatever casing, repetition, underscore
// spelling or hop-by-hop trick a client uses, the upstream sees only
// Gatehouse's X-Auth-* headers and Authorization, and none of Gatehouse's
// cookies.
func TestGatewayStripsClientHeaders(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	uid, tok := e.user("dee")
	cookie, _ := e.browser("dee")
	tricks := []struct{ name, headers string }{
		{"lower case", "x-auth-user-id: evil\nx-auth-roles: admin\n"},
		{"upper case", "X-AUTH-USER-ID: evil\nX-AUTH-ROLES: admin\n"},
		{"mixed case", "x-AuTh-UsEr-Id: evil\n"},
		{"repeated", "X-Auth-User-Id: evil\nX-Auth-User-Id: evil2\nX-Auth-Roles: admin\nX-Auth-Roles: root\n"},
		{"repeated across casings", "X-Auth-User-Id: evil\nx-auth-user-id: evil2\nX-AUTH-USER-ID: evil3\n"},
		{"underscores", "X_Auth_User_Id: evil\nx_auth_roles: admin\nX-Auth_Username: evil\n"},
		{"unknown X-Auth header", "X-Auth-Tenant: other\nX-Auth-Request-Email: evil@x\n"},
		{"hop-by-hop listing", "Connection: X-Auth-User-Id, Authorization\nX-Auth-User-Id: evil\n"},
		{"hop-by-hop listing in its own casing", "connection: x-auth-roles\nx-auth-roles: admin\n"},
		{"comma list in one value", "X-Auth-Roles: admin, root\n"},
		{"forged forwarding", "X-Forwarded-For: 10.6.6.6\nX-Forwarded-Host: evil.test\nForwarded: for=10.6.6.6\n"},
	}
	creds := []struct{ name, header string }{
		{"bearer", "Authorization: Bearer " + tok + "\n"},
		{"cookie", "Cookie: theme=dark; " + cookie + "; gatehouse_device=d1\n"},
	}
	for _, cr := range creds {
		for _, tr := range tricks {
			t.Run(cr.name+"/"+tr.name, func(t *testing.T) {
				before := up.count()
				st := e.raw(t, "GET /app/x HTTP/1.1\nHost: gh.test\n"+cr.header+tr.headers+"Connection: close\n\n")
				if st != 200 {
					t.Fatalf("status %d", st)
				}
				if up.count() != before+1 {
					t.Fatal("the request did not reach the upstream")
				}
				h := up.last(t).Header
				for k, vs := range h {
					lk := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
					if strings.HasPrefix(lk, "x-auth-") {
						switch k {
						case "X-Auth-User-Id", "X-Auth-Username", "X-Auth-Roles", "X-Auth-Session-Id":
						default:
							t.Fatalf("client header %s: %v reached the upstream", k, vs)
						}
						if len(vs) != 1 {
							t.Fatalf("%s repeated: %v", k, vs)
						}
					}
				}
				if got := h.Values("X-Auth-User-Id"); len(got) != 1 || got[0] != uid {
					t.Fatalf("X-Auth-User-Id %v, want %s", got, uid)
				}
				if got := h.Values("X-Auth-Roles"); len(got) != 1 || got[0] != "" {
					t.Fatalf("X-Auth-Roles %v", got)
				}
				if a := h.Values("Authorization"); len(a) != 1 || a[0] == "Bearer "+tok {
					t.Fatalf("Authorization %v: want one minted token", a)
				}
				if xff := h.Values("X-Forwarded-For"); len(xff) != 1 || xff[0] != "127.0.0.1" {
					t.Fatalf("X-Forwarded-For %v", xff)
				}
				if h.Get("X-Forwarded-Host") != "gh.test" || h.Get("Forwarded") != "" {
					t.Fatalf("forwarding headers %v", h)
				}
				if c := h.Get("Cookie"); strings.Contains(c, "gatehouse") {
					t.Fatalf("Gatehouse cookies reached the upstream: %q", c)
				}
				if cr.name == "cookie" && h.Get("Cookie") != "theme=dark" {
					t.Fatalf("other cookies must pass: %q", h.Get("Cookie"))
				}
			})
		}
	}
}

// TestGatewayRefusesAmbiguousCredentials: two Authorization headers, in
// any casing, are not a credential (the API's one-spelling rule).
func TestGatewayRefusesAmbiguousCredentials(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	_, tok := e.user("eve")
	for _, hs := range []string{
		"Authorization: Bearer " + tok + "\nauthorization: Bearer " + tok + "\n",
		"Authorization: Bearer " + tok + "\nAUTHORIZATION: Bearer forged\n",
	} {
		if st := e.raw(t, "GET /app/x HTTP/1.1\nHost: gh.test\n"+hs+"Connection: close\n\n"); st != 401 {
			t.Fatalf("status %d, want 401", st)
		}
	}
	if up.count() != 0 {
		t.Fatal("an ambiguous request reached the upstream")
	}
}
