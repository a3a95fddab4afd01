package forwardauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/dpop"
)

// scenario is what every proxy in front of /v1/verify must show. proxy is
// the proxy's base URL: /app/ is guarded (401 JSON), /app/admin/ needs the
// admin role (--verify-rule), /web/ sends browsers without a credential to
// /login — or, for a proxy that has no way to turn the 401 into a redirect
// (Traefik: htmlRedirect false), answers them Gatehouse's 401.
func scenario(t *testing.T, proxy string, g *gatehouse, up *upstream, htmlRedirect bool) {
	ctx := context.Background()
	nora := g.user(t, "nora")
	uid, tok := nora.id, nora.token
	olga := g.user(t, "olga")
	adminID := olga.id
	if _, err := g.admin().SetRoles(ctx, adminID, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	// Roles reach access tokens at the next refresh.
	p, err := olga.c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adminTok := p.AccessToken

	t.Run("valid token: the upstream sees Gatehouse's X-Auth-User-Id", func(t *testing.T) {
		res, body := get(t, proxy+"/app/x", "Authorization", "Bearer "+tok)
		if res.StatusCode != 200 || body != "upstream /app/x" {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
		if got := up.last().Values("X-Auth-User-Id"); len(got) != 1 || got[0] != uid {
			t.Fatalf("upstream saw X-Auth-User-Id %v, want [%s]", got, uid)
		}
	})
	t.Run("a forged X-Auth-User-Id never reaches the upstream", func(t *testing.T) {
		for _, name := range []string{"X-Auth-User-Id", "x-auth-user-id"} {
			res, _ := get(t, proxy+"/app/x", "Authorization", "Bearer "+tok, name, adminID)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := up.last().Values("X-Auth-User-Id"); len(got) != 1 || got[0] != uid {
				t.Fatalf("upstream saw X-Auth-User-Id %v, want only [%s]", got, uid)
			}
		}
		// A user without roles: Gatehouse's X-Auth-Roles is empty, and a
		// forged one must not fill the gap.
		res, _ := get(t, proxy+"/app/x", "Authorization", "Bearer "+tok, "X-Auth-Roles", "admin", "X-Auth-Username", "olga")
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if h := up.last(); strings.Contains(strings.Join(h.Values("X-Auth-Roles"), ","), "admin") || h.Get("X-Auth-Username") != "nora" {
			t.Fatalf("forged identity reached the upstream: roles %q username %q", h.Values("X-Auth-Roles"), h.Values("X-Auth-Username"))
		}
		before := up.count()
		res, _ = get(t, proxy+"/app/x", "X-Auth-User-Id", adminID, "X-Auth-Roles", "admin")
		if res.StatusCode != 401 || up.count() != before {
			t.Fatalf("forged identity without a token: status %d, upstream reached %v", res.StatusCode, up.count() != before)
		}
	})
	t.Run("forged and revoked tokens are 401", func(t *testing.T) {
		before := up.count()
		forged := tok[:len(tok)-4] + strings.Repeat("A", 4)
		if res, _ := get(t, proxy+"/app/x", "Authorization", "Bearer "+forged); res.StatusCode != 401 {
			t.Fatalf("forged token: status %d", res.StatusCode)
		}
		pete := g.user(t, "pete")
		victim := pete.token
		if res, _ := get(t, proxy+"/app/x", "Authorization", "Bearer "+victim); res.StatusCode != 200 {
			t.Fatalf("before logout: status %d", res.StatusCode)
		}
		before = up.count()
		if err := pete.c.Logout(ctx, client.ScopeLocal); err != nil {
			t.Fatal(err)
		}
		if res, _ := get(t, proxy+"/app/x", "Authorization", "Bearer "+victim); res.StatusCode != 401 {
			t.Fatalf("revoked token: status %d", res.StatusCode)
		}
		if up.count() != before {
			t.Fatal("a revoked token reached the upstream")
		}
	})
	t.Run("verify rules by the forwarded URI", func(t *testing.T) {
		if res, _ := get(t, proxy+"/app/admin/x", "Authorization", "Bearer "+tok); res.StatusCode != 403 {
			t.Fatalf("user without the role: status %d", res.StatusCode)
		}
		if res, _ := get(t, proxy+"/app/admin/x", "Authorization", "Bearer "+adminTok); res.StatusCode != 200 {
			t.Fatalf("admin: status %d", res.StatusCode)
		}
		if res, _ := get(t, proxy+"/app/x/../admin/x", "Authorization", "Bearer "+tok); res.StatusCode != 403 && res.StatusCode != 400 {
			t.Fatalf("dot segments around the rule: status %d", res.StatusCode)
		}
		// The forwarded URI picks the rule, so a client must not be able
		// to name a harmless one: the proxy overwrites X-Forwarded-Uri
		// (Caddy, Traefik), or Gatehouse refuses the two spellings
		// disagreeing (nginx passes the client's header along with its
		// own X-Original-URI).
		before := up.count()
		for _, h := range []string{"X-Forwarded-Uri", "X-Original-Uri"} {
			res, _ := get(t, proxy+"/app/admin/x", "Authorization", "Bearer "+tok, h, "/app/x", "X-Forwarded-Method", "GET")
			if res.StatusCode != 403 && res.StatusCode != 400 {
				t.Fatalf("a client-sent %s: status %d", h, res.StatusCode)
			}
		}
		if up.count() != before {
			t.Fatal("a client-sent forwarded URI opened a rule's path")
		}
	})
	if !htmlRedirect {
		t.Run("an HTML request without a credential gets the 401", func(t *testing.T) {
			before := up.count()
			res, body := get(t, proxy+"/web/page", "Accept", "text/html")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) || up.count() != before {
				t.Fatalf("status %d body %q, upstream reached %v", res.StatusCode, body, up.count() != before)
			}
			if res, _ := get(t, proxy+"/web/page", "Authorization", "Bearer "+tok); res.StatusCode != 200 {
				t.Fatalf("with a token: status %d", res.StatusCode)
			}
		})
		return
	}
	t.Run("an HTML request without a credential is redirected to /login", func(t *testing.T) {
		res, _ := get(t, proxy+"/web/page", "Accept", "text/html")
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") == "" || !strings.Contains(res.Header.Get("Location"), "/login?return_to=") {
			t.Fatalf("status %d Location %q", res.StatusCode, res.Header.Get("Location"))
		}
		if !strings.Contains(res.Header.Get("Location"), "/web/page") {
			t.Fatalf("return_to lost: %q", res.Header.Get("Location"))
		}
		if res, _ := get(t, proxy+"/web/page", "Authorization", "Bearer "+tok); res.StatusCode != 200 {
			t.Fatalf("with a token: status %d", res.StatusCode)
		}
	})
}

// dpopScenario: a DPoP-bound token passes the proxy only with a fresh
// proof for the original request (method and URL as the client sent them
// to the proxy, which Gatehouse learns from the forwarded headers); a
// replayed proof, a proof for another URL or method, no proof, or the
// bound token as a bearer token are 401 and never reach the upstream.
func dpopScenario(t *testing.T, proxy string, g *gatehouse, up *upstream) {
	key, tok := g.dpopUser(t, "quinn")
	ath := dpop.AccessTokenHash(tok)
	sign := func(method, url string) string {
		t.Helper()
		p, err := key.Sign(method, url, ath, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	proof := sign("GET", proxy+"/app/x")
	t.Run("DPoP: a fresh proof for the original request passes", func(t *testing.T) {
		res, body := get(t, proxy+"/app/x?q=1", "Authorization", "DPoP "+tok, "DPoP", proof)
		if res.StatusCode != 200 || body != "upstream /app/x" {
			t.Fatalf("status %d body %q", res.StatusCode, body)
		}
	})
	for _, tc := range []struct{ name, auth, proof string }{
		{"the same proof again (replay)", "DPoP " + tok, proof},
		{"a proof for another URL", "DPoP " + tok, sign("GET", proxy+"/app/y")},
		{"a proof for the proxy's verify subrequest", "DPoP " + tok, sign("GET", g.url+"/v1/verify")},
		{"a proof for another method", "DPoP " + tok, sign("POST", proxy+"/app/x")},
		{"no proof", "DPoP " + tok, ""},
		{"the bound token as a bearer token", "Bearer " + tok, sign("GET", proxy+"/app/x")},
	} {
		t.Run("DPoP: "+tc.name+" is 401", func(t *testing.T) {
			before := up.count()
			hdr := []string{"Authorization", tc.auth}
			if tc.proof != "" {
				hdr = append(hdr, "DPoP", tc.proof)
			}
			res, body := get(t, proxy+"/app/x", hdr...)
			if res.StatusCode != 401 || up.count() != before {
				t.Fatalf("status %d, upstream reached %v: %s", res.StatusCode, up.count() != before, body)
			}
		})
	}
}
