package openapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/openapi/openapitest"
)

// browser is a cookie-keeping caller (the client package speaks bearer
// only, so browser mode's answers are checked here).
type browser struct {
	t       *testing.T
	url     string
	cookies map[string]string
	csrf    string
}

func (b *browser) do(method, path, body string, status int) map[string]any {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != status {
		b.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, status, raw)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if tok, ok := m["csrf_token"].(string); ok {
		b.csrf = tok
	}
	return m
}

// TestBrowserModeAnswersMatch: cookie and jwt-cookie logins, the CSRF
// token, a cookie reauth, a cookie refresh, a refused CSRF and a cookie
// logout hold to the document (BrowserLogin, Set-Cookie, Error).
func TestBrowserModeAnswersMatch(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(openapitest.Handler(t, open(t).Handler()))
	defer srv.Close()
	b := &browser{t: t, url: srv.URL, cookies: map[string]string{}}
	b.do("POST", "/v1/signup", `{"username":"mallory","password":"correct horse"}`, 201)

	b.do("POST", "/v1/login", `{"username":"mallory","password":"correct horse","delivery":"cookie"}`, 200)
	b.do("GET", "/v1/csrf", "", 200)
	b.do("GET", "/v1/me", "", 200)
	b.do("GET", "/v1/verify", "", 200)
	b.do("HEAD", "/v1/verify", "", 200)
	b.do("POST", "/v1/reauth", `{"password":"correct horse"}`, 200)
	csrf := b.csrf
	b.csrf = ""
	b.do("POST", "/v1/logout", `{}`, 403)
	b.csrf = csrf
	b.do("POST", "/v1/logout", `{}`, 204)
	if _, ok := b.cookies["__Host-gatehouse"]; ok {
		t.Fatal("logout left the session cookie")
	}

	b.do("POST", "/v1/login", `{"username":"mallory","password":"correct horse","delivery":"jwt-cookie"}`, 200)
	b.do("GET", "/v1/sessions", "", 200)
	b.do("POST", "/v1/token/refresh", `{}`, 200)
	b.do("GET", "/v1/me/events?limit=2", "", 200)
	b.do("POST", "/v1/logout", `{"scope":"global"}`, 204)
}
