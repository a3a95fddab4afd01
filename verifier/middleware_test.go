package verifier_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/verifier"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	v := g.verifier(nil)
	tok, sid := g.login()
	revoked, _ := g.login()
	g.logout(revoked)
	waitFor(t, v, revoked, verifier.ErrRevoked, 5e9)
	var seen string
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verifier.ClaimsFrom(r.Context())
		seen = c.SessionID
	})
	plain := v.Middleware(ok)
	admin := v.Middleware(v.RequireRole("admin")(ok))
	for _, tc := range []struct {
		name      string
		h         http.Handler
		method    string
		hdr       map[string]string
		status    int
		code      string
		challenge string
	}{
		{"bearer", plain, "GET", map[string]string{"Authorization": "Bearer " + tok}, 200, "", ""},
		{"scheme in any case", plain, "GET", map[string]string{"Authorization": "bEaReR " + tok}, 200, "", ""},
		{"cookie", plain, "GET", map[string]string{"Cookie": "a=b; gatehouse_at=" + tok}, 200, "", ""},
		{"cookie, same-origin POST", plain, "POST", map[string]string{"Cookie": "gatehouse_at=" + tok, "Origin": "http://example.com"}, 200, "", ""},
		{"cookie, cross-site POST", plain, "POST", map[string]string{"Cookie": "gatehouse_at=" + tok, "Origin": "https://evil.example"}, 403, "csrf_failed", ""},
		{"cookie, Sec-Fetch-Site cross-site", plain, "DELETE", map[string]string{"Cookie": "gatehouse_at=" + tok, "Sec-Fetch-Site": "cross-site"}, 403, "csrf_failed", ""},
		{"two cookies", plain, "GET", map[string]string{"Cookie": "gatehouse_at=" + tok + "; gatehouse_at=" + tok}, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"nothing", plain, "GET", nil, 401, "invalid_token", "Bearer"},
		{"tab before the token", plain, "GET", map[string]string{"Authorization": "Bearer\t" + tok}, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"trailing NBSP", plain, "GET", map[string]string{"Authorization": "Bearer " + tok + "\u00a0"}, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"garbage", plain, "GET", map[string]string{"Authorization": "Bearer abc"}, 401, "invalid_token", `Bearer error="invalid_token"`},
		{"revoked", plain, "GET", map[string]string{"Authorization": "Bearer " + revoked}, 401, "token_revoked", `Bearer error="invalid_token"`},
		{"role missing", admin, "GET", map[string]string{"Authorization": "Bearer " + tok}, 403, "forbidden", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = ""
			req := httptest.NewRequest(tc.method, "http://example.com/x", nil)
			for k, val := range tc.hdr {
				req.Header.Set(k, val)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; %s", rec.Code, tc.status, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.status == 200 {
				if seen != sid {
					t.Fatalf("handler saw session %q", seen)
				}
				return
			}
			var m map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["error"] != tc.code || m["message"] == "" {
				t.Fatalf("body %s, want error %s", rec.Body, tc.code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	if _, ok := verifier.ClaimsFrom(context.Background()); ok {
		t.Fatal("claims in an empty context")
	}
}
