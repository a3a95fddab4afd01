package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// TestGatewayMintCache: one signature per session per token lifetime, not
// per request; a new token shortly before the old one expires.
func TestGatewayMintCache(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	_, tok := e.user("ida")
	cookie, _ := e.browser("ida")
	svc := e.app.Service
	base := svc.SessionTokensMinted()
	var forwarded []string
	for range 5 {
		expect(t, e.do("GET", "/app/x", nil, "Cookie", cookie), 200, "")
		forwarded = append(forwarded, up.last(t).Header.Get("Authorization"))
	}
	if n := svc.SessionTokensMinted() - base; n != 1 {
		t.Fatalf("%d mints for 5 requests of one session, want 1", n)
	}
	for _, f := range forwarded[1:] {
		if f != forwarded[0] {
			t.Fatal("the cached token was not reused")
		}
	}
	// Another session (the bearer one) has its own token.
	expect(t, e.do("GET", "/app/x", nil, bearer(tok)...), 200, "")
	expect(t, e.do("GET", "/app/x", nil, bearer(tok)...), 200, "")
	if n := svc.SessionTokensMinted() - base; n != 2 {
		t.Fatalf("%d mints for two sessions, want 2", n)
	}
	// Past the renewal point (a minute before expiry at the default 15m TTL).
	e.clock.Add(e.app.Config.AccessTTL - 30*time.Second)
	expect(t, e.do("GET", "/app/x", nil, "Cookie", cookie), 200, "")
	if n := svc.SessionTokensMinted() - base; n != 3 {
		t.Fatalf("%d mints after the renewal point, want 3", n)
	}
	if up.last(t).Header.Get("Authorization") == forwarded[0] {
		t.Fatal("a token about to expire was forwarded")
	}
}

// TestGatewayRevocation: a logout is felt on the very next request, for a
// cookie and for a bearer token, and drops the session's cached token.
func TestGatewayRevocation(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	uid, tok := e.user("jon")
	cookie, csrf := e.browser("jon")
	expect(t, e.do("GET", "/app/x", nil, "Cookie", cookie), 200, "")
	sid := up.last(t).Header.Get("X-Auth-Session-Id")
	if !e.app.Service.SessionTokenCached(sid) {
		t.Fatal("no cached token after a forwarded request")
	}
	expect(t, e.do("POST", "/v1/logout", map[string]string{}, "Cookie", cookie, "X-CSRF-Token", csrf), 204, "")
	expect(t, e.do("GET", "/app/x", nil, "Cookie", cookie), 401, "")
	if e.app.Service.SessionTokenCached(sid) {
		t.Fatal("the revoked session's token is still cached")
	}
	r := e.do("GET", "/app/x", nil, "Cookie", cookie, "Accept", "text/html")
	if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), "/login?") {
		t.Fatalf("a revoked browser session: status %d Location %q", r.status, r.header.Get("Location"))
	}

	expect(t, e.do("GET", "/app/x", nil, bearer(tok)...), 200, "")
	expect(t, e.do("POST", "/v1/admin/users/"+uid+"/logout", nil, "Authorization", "Bearer "+adminToken), 204, "")
	expect(t, e.do("GET", "/app/x", nil, bearer(tok)...), 401, "token_revoked")
}
