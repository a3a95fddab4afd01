package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// send is do with full control of the header fields: repeated fields and
// odd spellings reach the server as written.
func (e *env) send(method, path string, hdr http.Header, body string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = hdr
	return e.roundTrip(req)
}

func authz(vs ...string) http.Header { return http.Header{"Authorization": vs} }

// TestOneSpellingOfTheBearerToken: a valid access token is accepted only in
// its one spelling; Unicode white space around it, a second Authorization
// header or another separator are 401 invalid_token, on user and admin
// endpoints alike.
func TestOneSpellingOfTheBearerToken(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("olga")
	tok := p.Access
	ok := []http.Header{
		authz("Bearer " + tok),
		authz("bearer " + tok),
		authz("BEARER " + tok),
		authz("Bearer  " + tok),
	}
	for _, h := range ok {
		expect(t, e.send("GET", "/v1/me", h, ""), 200, "")
	}
	bad := map[string]http.Header{
		"trailing NBSP":               authz("Bearer " + tok + "\u00a0"),
		"leading NBSP":                authz("Bearer \u00a0" + tok),
		"trailing NEL":                authz("Bearer " + tok + "\u0085"),
		"trailing LINE SEPARATOR":     authz("Bearer " + tok + "\u2028"),
		"leading IDEOGRAPHIC SPACE":   authz("Bearer \u3000" + tok),
		"tab separator":               authz("Bearer\t" + tok),
		"two headers, valid first":    authz("Bearer "+tok, "Bearer garbage"),
		"two headers, valid second":   authz("Bearer garbage", "Bearer "+tok),
		"two identical headers":       authz("Bearer "+tok, "Bearer "+tok),
		"= inside the token":          authz("Bearer " + tok[:10] + "=" + tok[10:]),
		"Basic":                       authz("Basic Zm9vOmJhcg=="),
		"empty token":                 authz("Bearer "),
		"very long header":            authz("Bearer " + strings.Repeat("A", 64<<10)),
		"comma-joined second scheme":  authz("Bearer " + tok + ", Basic Zm9v"),
		"token without scheme":        authz(tok),
		"scheme glued to the token":   authz("Bearer" + tok),
		"space inside the token":      authz("Bearer " + tok[:10] + " " + tok[10:]),
		"quoted token":                authz(`Bearer "` + tok + `"`),
		"Cyrillic letter in scheme":   authz("Bеarer " + tok),
		"ideographic space separator": authz("Bearer\u3000" + tok),
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/v1/me", "/v1/verify"} {
				r := e.send("GET", path, h, "")
				expect(t, r, 401, "invalid_token")
				if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
					t.Fatalf("%s: WWW-Authenticate %q", path, got)
				}
			}
		})
	}
	t.Run("admin token in two headers", func(t *testing.T) {
		for _, h := range []http.Header{authz("Bearer "+adminToken, "Bearer garbage"), authz("Bearer garbage", "Bearer "+adminToken)} {
			expect(t, e.send("GET", "/v1/admin/users/x/sessions", h, ""), 401, "invalid_token")
		}
		expect(t, e.send("GET", "/v1/admin/users/x/sessions", authz("Bearer "+adminToken+"\u00a0"), ""), 401, "invalid_token")
		expect(t, e.send("GET", "/v1/admin/users/x/sessions", authz("bearer  "+adminToken), ""), 404, "not_found")
	})
}

// TestWWWAuthenticate: RFC 6750 §3.1 challenges. No credential: a bare
// "Bearer"; a bad, expired or revoked access token: error="invalid_token"
// (the JSON code still says which); a stale auth_time: RFC 9470's step-up
// error; refresh-token and password failures carry no bearer challenge.
func TestWWWAuthenticate(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("pia")
	_, gone := e.user("quin")
	expect(t, e.do("POST", "/v1/logout", gone.Access, nil), 204, "")
	spent := e.refresh(p.Refresh)
	expect(t, spent, 200, "")
	_, other := e.user("pete")
	e.clock.Add(11 * time.Second) // past the reuse grace

	const none = "(none)"
	rows := []struct {
		name      string
		status    int
		code      string
		challenge string
		call      func() resp
	}{
		{"no credential", 401, "invalid_token", "Bearer", func() resp { return e.do("GET", "/v1/me", "", nil) }},
		{"no credential at verify", 401, "invalid_token", "Bearer", func() resp { return e.do("GET", "/v1/verify", "", nil) }},
		{"no credential at an admin endpoint", 401, "invalid_token", "Bearer", func() resp { return e.do("GET", "/v1/admin/users/x/sessions", "", nil) }},
		{"malformed header", 401, "invalid_token", `Bearer error="invalid_token"`, func() resp {
			return e.do("GET", "/v1/me", "", nil, "Authorization", "Basic Zm9vOmJhcg==")
		}},
		{"garbage token", 401, "invalid_token", `Bearer error="invalid_token"`, func() resp { return e.do("GET", "/v1/me", "a.b.c", nil) }},
		{"wrong admin token", 401, "invalid_token", `Bearer error="invalid_token"`, func() resp { return e.do("GET", "/v1/admin/users/x/sessions", "wrong", nil) }},
		{"revoked token", 401, "token_revoked", `Bearer error="invalid_token"`, func() resp { return e.do("GET", "/v1/me", gone.Access, nil) }},
		{"unknown refresh token", 401, "invalid_refresh_token", none, func() resp { return e.refresh("nope") }},
		{"reused refresh token", 401, "refresh_token_reused", none, func() resp { return e.refresh(p.Refresh) }},
		{"wrong password", 401, "invalid_credentials", none, func() resp {
			return e.do("POST", "/v1/login", "", map[string]string{"username": "pia", "password": "wrong password"})
		}},
		{"wrong password at reauth", 401, "invalid_credentials", none, func() resp {
			return e.do("POST", "/v1/reauth", other.Access, map[string]string{"password": "wrong password"})
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := row.call()
			expect(t, r, row.status, row.code)
			got := r.header.Values("WWW-Authenticate")
			if row.challenge == none {
				if len(got) != 0 {
					t.Fatalf("WWW-Authenticate %q, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0] != row.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, row.challenge)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		_, q := e.user("rolf")
		e.clock.Add(16 * time.Minute)
		r := e.do("GET", "/v1/me", q.Access, nil)
		expect(t, r, 401, "token_expired")
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
			t.Fatalf("WWW-Authenticate %q", got)
		}
	})
	t.Run("stale auth_time", func(t *testing.T) {
		_, q := e.user("runa")
		e.clock.Add(11 * time.Minute)
		r := e.do("POST", "/v1/logout", q.Access, map[string]string{"scope": "global"})
		expect(t, r, 401, "reauth_required")
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="insufficient_user_authentication"` {
			t.Fatalf("WWW-Authenticate %q", got)
		}
	})
}
