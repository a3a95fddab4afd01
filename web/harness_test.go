package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// env is a real node (SQLite in a temp dir) behind httptest, pages on.
type env struct {
	t     *testing.T
	url   string
	app   *app.App
	clock *testenv.Clock
}

const password = "correct horse battery"

func start(t *testing.T, mutate func(*config.Config)) *env {
	t.Helper()
	c := testenv.Config(t)
	c.Issuer = "http://gatehouse.test"
	if mutate != nil {
		mutate(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &env{t: t, url: srv.URL, app: a, clock: clk}
}

// user creates an account directly through the use case.
func (e *env) user(name string) {
	e.t.Helper()
	if _, err := e.app.Service.Signup(context.Background(), name, password, authn.Client{IP: "127.0.0.1"}); err != nil {
		e.t.Fatal(err)
	}
}

// visitor is one browser: its own cookies (kept by hand: Go's cookie jar
// does not send Secure cookies over http, browsers do on localhost).
type visitor struct {
	e       *env
	cookies map[string]string
	lang    string
	ua      string
}

func (e *env) visitor() *visitor {
	return &visitor{e: e, cookies: map[string]string{}, ua: "Mozilla/5.0 (test) Chrome/140"}
}

type resp struct {
	status int
	header http.Header
	body   string
	set    []*http.Cookie
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request as this browser. hdr are name/value pairs; an empty
// value removes the header.
func (v *visitor) do(method, path string, body io.Reader, hdr ...string) resp {
	v.e.t.Helper()
	req, err := http.NewRequest(method, v.e.url+path, body)
	if err != nil {
		v.e.t.Fatal(err)
	}
	req.Header.Set("User-Agent", v.ua)
	if v.lang != "" {
		req.Header.Set("Accept-Language", v.lang)
	}
	for name, val := range v.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: val})
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", v.e.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		v.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(v.cookies, c.Name)
		} else {
			v.cookies[c.Name] = c.Value
		}
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b), set: res.Cookies()}
}

func (v *visitor) get(path string, hdr ...string) resp { return v.do("GET", path, nil, hdr...) }

func (v *visitor) post(path string, form url.Values, hdr ...string) resp {
	return v.do("POST", path, strings.NewReader(form.Encode()), hdr...)
}

// login logs in through the form and expects the 303.
func (v *visitor) login(user string) resp {
	v.e.t.Helper()
	r := v.post("/login", url.Values{"username": {user}, "password": {password}})
	want(v.e.t, r, http.StatusSeeOther)
	return r
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the CSRF token of the account page's forms.
func (v *visitor) csrf() string {
	v.e.t.Helper()
	r := v.get("/account")
	want(v.e.t, r, http.StatusOK)
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		v.e.t.Fatalf("no csrf_token on the account page: %s", r.body)
	}
	return m[1]
}

func want(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; Location %q; body %.600s", r.status, status, r.header.Get("Location"), r.body)
	}
}

func wantRedirect(t *testing.T, r resp, location string) {
	t.Helper()
	want(t, r, http.StatusSeeOther)
	if got := r.header.Get("Location"); got != location {
		t.Fatalf("Location %q, want %q", got, location)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
