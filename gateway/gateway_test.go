package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// TestGatewayForwards: a bearer request under a prefix reaches the upstream
// with a token minted for its session (not the client's), the X-Auth-*
// headers, X-Forwarded-*, and the path rewritten as nginx's proxy_pass.
func TestGatewayForwards(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{
		route("/api/", up.URL+"/"),
		route("/keep/", up.URL+"/keep/"),
		route("/raw", up.URL),
		route("/deep/", up.URL+"/v2/base/"),
	}, nil)
	uid, tok := e.user("ana")
	cases := []struct{ in, path string }{
		{"/api/x/y?q=1&r=2", "/x/y"},
		{"/keep/x", "/keep/x"},
		{"/raw/x", "/raw/x"},
		{"/rawer", "/rawer"},
		{"/deep/z", "/v2/base/z"},
		{"/api/a%2Fb", "/a/b"},
	}
	for _, c := range cases {
		r := e.do("GET", c.in, nil, bearer(tok)...)
		expect(t, r, 200, "")
		if got := r.json(t)["path"]; got != c.path {
			t.Errorf("%s reached the upstream as %v, want %s", c.in, got, c.path)
		}
	}
	if raw := e.do("GET", "/api/a%2Fb", nil, bearer(tok)...).json(t)["raw"]; raw != "/a%2Fb" {
		t.Errorf("escaped path reached the upstream as %v, want /a%%2Fb", raw)
	}
	r := e.do("GET", "/api/x?q=1", nil, bearer(tok)...)
	if q := r.json(t)["query"]; q != "q=1" {
		t.Errorf("query %v", q)
	}
	got := up.last(t)
	h := got.Header
	if h.Get("X-Auth-User-Id") != uid || h.Get("X-Auth-Username") != "ana" || h.Get("X-Auth-Session-Id") == "" {
		t.Fatalf("identity headers %v", h)
	}
	if v, ok := h["X-Auth-Roles"]; !ok || v[0] != "" {
		t.Fatalf("X-Auth-Roles must be present and empty: %v", h)
	}
	fwd := strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
	if fwd == "" || fwd == tok {
		t.Fatalf("upstream got Authorization %q; want a token minted for the session", h.Get("Authorization"))
	}
	if p, err := e.app.Service.Authenticate(fwd); err != nil || p.UserID != uid {
		t.Fatalf("the forwarded token does not verify: %v", err)
	}
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Forwarded-Host") != strings.TrimPrefix(e.url, "http://") {
		t.Fatalf("X-Forwarded-* %v", h)
	}
	if got.Host != strings.TrimPrefix(up.URL, "http://") {
		t.Fatalf("Host %q, want the upstream's", got.Host)
	}
	// A path outside every prefix is Gatehouse's own.
	expect(t, e.do("GET", "/apix", nil, bearer(tok)...), 404, "not_found")
	// Dot segments never reach an upstream.
	expect(t, e.do("GET", "/keep/../secret", nil, bearer(tok)...), 400, "invalid_request")
	expect(t, e.do("GET", "/keep/%2e%2e/secret", nil, bearer(tok)...), 400, "invalid_request")
	expect(t, e.do("GET", "/api/./x", nil, bearer(tok)...), 400, "invalid_request")
}

// TestGatewayOwnPathsReserved: a route may not capture Gatehouse's own
// paths; the node refuses to start.
func TestGatewayOwnPathsReserved(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"/", "/v1/", "/v1/me/x", "/log", "/.well-known/x", "/static/"} {
		c := testenv.Config(t)
		c.Routes = []config.Route{route(prefix, "http://127.0.0.1:9/")}
		a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err == nil {
			a.Close()
			t.Errorf("route %q accepted", prefix)
		}
	}
}

// TestGatewayNoCredential: 401 JSON, or a 302 to the login page for a
// browser navigation on a route that allows it.
func TestGatewayNoCredential(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	no := false
	e := start(t, []config.Route{route("/app/", up.URL+"/"), {Prefix: "/json/", URL: up.URL + "/", RedirectHTML: &no}}, nil)
	html := []string{"Accept", "text/html,application/xhtml+xml;q=0.9"}
	r := e.do("GET", "/app/x?y=1", nil, html...)
	if r.status != http.StatusFound || r.header.Get("Location") != "/login?return_to=%2Fapp%2Fx%3Fy%3D1" {
		t.Fatalf("status %d Location %q", r.status, r.header.Get("Location"))
	}
	r = e.do("GET", "/app/x", nil, "Accept", "application/json")
	expect(t, r, 401, "invalid_token")
	if r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	expect(t, e.do("POST", "/app/x", nil, html...), 401, "invalid_token")
	expect(t, e.do("GET", "/json/x", nil, html...), 401, "invalid_token")
	expect(t, e.do("GET", "/app/x", nil, "Authorization", "Bearer not.a.token"), 401, "invalid_token")
	r = e.do("GET", "/app/x", nil, append(html, "Cookie", "__Host-gatehouse=forged")...)
	if r.status != http.StatusFound {
		t.Fatalf("a forged cookie on a navigation: status %d", r.status)
	}
	if up.count() != 0 {
		t.Fatalf("%d requests reached the upstream", up.count())
	}
}

// TestGatewayRoles: a route's roles (any one of them) are required.
func TestGatewayRoles(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{{Prefix: "/admin/", URL: up.URL + "/", Roles: []string{"admin", "ops"}}}, nil)
	uid, tok := e.user("bob")
	expect(t, e.do("GET", "/admin/x", nil, bearer(tok)...), 403, "forbidden")
	expect(t, e.do("GET", "/admin/x", nil, append(bearer(tok), "X-Auth-Roles", "admin")...), 403, "forbidden")
	e.setRoles(uid, "ops")
	_, tok = e.user2("bob")
	expect(t, e.do("GET", "/admin/x", nil, bearer(tok)...), 200, "")
	if up.last(t).Header.Get("X-Auth-Roles") != "ops" {
		t.Fatalf("roles %v", up.last(t).Header)
	}
}

// TestGatewayCSRF: cookie-authenticated unsafe requests need the CSRF
// header and a same-origin provenance; bearer requests do not.
func TestGatewayCSRF(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	_, tok := e.user("cyd")
	cookie, csrf := e.browser("cyd")
	expect(t, e.do("GET", "/app/x", nil, "Cookie", cookie), 200, "")
	expect(t, e.do("POST", "/app/x", map[string]int{}, "Cookie", cookie), 403, "csrf_failed")
	expect(t, e.do("DELETE", "/app/x", nil, "Cookie", cookie, "X-CSRF-Token", "wrong"), 403, "csrf_failed")
	expect(t, e.do("POST", "/app/x", map[string]int{}, "Cookie", cookie, "X-CSRF-Token", csrf, "Origin", "https://evil.test"), 403, "csrf_failed")
	expect(t, e.do("POST", "/app/x", map[string]int{}, "Cookie", cookie, "X-CSRF-Token", csrf), 200, "")
	expect(t, e.do("POST", "/app/x", map[string]int{}, bearer(tok)...), 200, "")
	if up.last(t).Header.Get("X-Csrf-Token") != "" {
		t.Fatal("the CSRF token reached the upstream")
	}
	// A cookie WebSocket handshake from another site (cross-site WebSocket
	// hijacking) is refused, though it is a GET.
	ws := []string{"Cookie", cookie, "Upgrade", "websocket", "Connection", "Upgrade"}
	expect(t, e.do("GET", "/app/ws", nil, append(ws, "Origin", "https://evil.test")...), 403, "csrf_failed")
	expect(t, e.do("GET", "/app/ws", nil, append(ws, "Sec-Fetch-Site", "cross-site")...), 403, "csrf_failed")
}

// TestGatewayJWTCookie: the jwt-cookie mode's access cookie is a
// credential too, and never reaches the upstream.
func TestGatewayJWTCookie(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	uid, _ := e.user("kim")
	r := e.do("POST", "/v1/login", map[string]string{"username": "kim", "password": "correct horse battery", "delivery": "jwt-cookie"})
	expect(t, r, 200, "")
	var at string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "gatehouse_at" {
			at = c.Value
		}
	}
	csrf := r.json(t)["csrf_token"].(string)
	expect(t, e.do("GET", "/app/x", nil, "Cookie", "gatehouse_at="+at), 200, "")
	h := up.last(t).Header
	if h.Get("X-Auth-User-Id") != uid || strings.Contains(h.Get("Cookie"), "gatehouse") || h.Get("Authorization") == "Bearer "+at {
		t.Fatalf("upstream saw %v", h)
	}
	expect(t, e.do("PUT", "/app/x", nil, "Cookie", "gatehouse_at="+at), 403, "csrf_failed")
	expect(t, e.do("PUT", "/app/x", nil, "Cookie", "gatehouse_at="+at, "X-CSRF-Token", csrf), 200, "")
}

// TestGatewayMetrics: gateway answers are in the request histogram under
// their route.
func TestGatewayMetrics(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := start(t, []config.Route{route("/app/", up.URL+"/")}, nil)
	_, tok := e.user("lea")
	expect(t, e.do("GET", "/app/x", nil, bearer(tok)...), 200, "")
	expect(t, e.do("GET", "/app/x", nil), 401, "invalid_token")
	m := string(e.do("GET", "/metrics", nil).body)
	for _, want := range []string{`code="200",method="GET",route="gateway /app/"`, `code="401",method="GET",route="gateway /app/"`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestGatewayBehindTrustedProxy: behind --trusted-proxies the upstream
// gets the client's address and scheme as the API sees them.
func TestGatewayBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := startConfig(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} },
		[]config.Route{route("/app/", up.URL+"/")}, nil)
	_, tok := e.user("max")
	expect(t, e.do("GET", "/app/x", nil, append(bearer(tok), "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https")...), 200, "")
	h := up.last(t).Header
	if got := h.Values("X-Forwarded-For"); len(got) != 1 || got[0] != "203.0.113.9" {
		t.Fatalf("X-Forwarded-For %v", got)
	}
	if h.Get("X-Forwarded-Proto") != "https" {
		t.Fatalf("X-Forwarded-Proto %q", h.Get("X-Forwarded-Proto"))
	}
}

// TestGatewayWithoutUI: with --ui=false there is no login page to send
// browsers to: 401 for them too.
func TestGatewayWithoutUI(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	e := startConfig(t, func(c *config.Config) { c.UI = false }, []config.Route{route("/app/", up.URL+"/")}, nil)
	expect(t, e.do("GET", "/app/x", nil, "Accept", "text/html"), 401, "invalid_token")
}
