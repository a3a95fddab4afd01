package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOneSpellingOfJSONBodies: duplicate, case-variant and unknown members,
// trailing data, invalid UTF-8 and lone surrogate escapes are 400
// invalid_request with a message naming the problem — even when the body
// would otherwise log in.
func TestOneSpellingOfJSONBodies(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	e.signup("sara", "correct horse battery")
	const pw = `"password":"correct horse battery"`
	expect(t, e.do("POST", "/v1/login", "", `{"username":"sara",`+pw+`}`), 200, "")
	cases := []struct{ name, body, msg string }{
		{"duplicate key, last one valid", `{"username":"nobody","username":"sara",` + pw + `}`, `duplicate field "username"`},
		{"duplicate key, same value", `{"username":"sara","username":"sara",` + pw + `}`, `duplicate field "username"`},
		{"duplicate password", `{"username":"sara","password":"x",` + pw + `}`, `duplicate field "password"`},
		{"upper-case key", `{"USERNAME":"sara",` + pw + `}`, `unknown field "USERNAME"`},
		{"title-case key", `{"Username":"sara",` + pw + `}`, `unknown field "Username"`},
		{"case variant beside the key", `{"username":"sara","userName":"x",` + pw + `}`, `unknown field "userName"`},
		{"unknown key", `{"username":"sara",` + pw + `,"admin":true}`, `unknown field "admin"`},
		{"trailing object", `{"username":"sara",` + pw + `}{}`, "unexpected data after the JSON object"},
		{"trailing garbage", `{"username":"sara",` + pw + `} x`, "unexpected data after the JSON object"},
		{"invalid UTF-8", "{\"username\":\"sara\xff\"," + pw + "}", "the body is not valid UTF-8"},
		{"lone high surrogate", `{"username":"sara","password":"correct horse \ud800"}`, `malformed JSON at byte 45, in field "password"`},
		{"lone low surrogate", `{"username":"sara","password":"correct horse \udc00"}`, "malformed JSON"},
		{"high surrogate then text", `{"username":"sara","password":"correct horse \ud800x"}`, "malformed JSON"},
		{"high surrogate then a non-surrogate escape", `{"username":"sara","password":"correct \ud800\u0041"}`, "malformed JSON"},
		{"pair then a lone one", `{"username":"sara","password":"correct \ud83d\ude00\ud800"}`, "malformed JSON"},
		{"null body", `null`, "the body must be a JSON object"},
		{"array body", `[]`, "the body must be a JSON object"},
		{"wrong type", `{"username":7,` + pw + `}`, `field "username" must be a string`},
		{"cut short", `{"username":`, "malformed JSON: unexpected end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/v1/login", "", c.body)
			expect(t, r, 400, "invalid_request")
			if msg := r.str(t, "message"); !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q, want %q", msg, c.msg)
			}
		})
	}
	// A surrogate pair is a real character, and an escaped backslash
	// before "ud800" is text: both are fine.
	for name, pwd := range map[string]string{"sara2": `correct horse \ud83d\ude00`, "sara3": `correct horse \\ud800`} {
		expect(t, e.do("POST", "/v1/signup", "", `{"username":"`+name+`","password":"`+pwd+`"}`), 201, "")
		expect(t, e.do("POST", "/v1/login", "", `{"username":"`+name+`","password":"`+pwd+`"}`), 200, "")
	}
	t.Run("nested duplicate", func(t *testing.T) {
		r := e.do("PUT", "/v1/admin/users/x/roles", adminToken, `{"roles":["a"],"roles":["admin"]}`)
		expect(t, r, 400, "invalid_request")
	})
}

// TestOneContentType: a repeated Content-Type is 400, a wrong one 415, an
// oversize body 413.
func TestOneContentType(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	body := `{"username":"nobody","password":"wrong password"}`
	two := http.Header{"Content-Type": {"application/json", "application/json"}}
	expect(t, e.send("POST", "/v1/login", two, body), 400, "invalid_request")
	mixed := http.Header{"Content-Type": {"application/json", "text/plain"}}
	expect(t, e.send("POST", "/v1/login", mixed, body), 400, "invalid_request")
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded", "application/x-www-form-urlencoded"}}
	expect(t, e.send("POST", "/v1/revoke", form, "token=abc"), 400, "invalid_request")
	expect(t, e.send("POST", "/v1/login", http.Header{"Content-Type": {"text/plain"}}, body), 415, "invalid_request")
	expect(t, e.send("POST", "/v1/login", http.Header{"Content-Type": {"application/json; charset=latin1"}}, body), 415, "invalid_request")
	expect(t, e.send("POST", "/v1/login", http.Header{"Content-Type": {"application/json"}}, `{"username":"`+strings.Repeat("a", 70<<10)+`"}`), 413, "request_too_large")
	expect(t, e.send("POST", "/v1/login", http.Header{"Content-Type": {"application/json"}}, body), 401, "invalid_credentials")
}

// TestOneValuePerFormParameter: introspection and revocation refuse a
// repeated parameter instead of reading the first one.
func TestOneValuePerFormParameter(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, p := e.user("tess")
	ct := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, body := range []string{
		"token=" + url.QueryEscape(p.Refresh) + "&token=garbage",
		"token=garbage&token=" + url.QueryEscape(p.Refresh),
		"token=" + url.QueryEscape(p.Refresh) + "&%74oken=" + url.QueryEscape(p.Refresh),
	} {
		r := e.send("POST", "/v1/revoke", ct.Clone(), body)
		expect(t, r, 400, "invalid_request")
		if !strings.Contains(r.str(t, "message"), "repeated") {
			t.Fatalf("message %s", r.body)
		}
		h := ct.Clone()
		h.Set("Authorization", "Bearer "+adminToken)
		expect(t, e.send("POST", "/v1/introspect", h, body), 400, "invalid_request")
	}
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 200, "") // nothing was revoked
	expect(t, e.send("POST", "/v1/revoke", ct.Clone(), "token="+url.QueryEscape(p.Refresh)+"&token_type_hint=refresh_token"), 200, "")
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
}
