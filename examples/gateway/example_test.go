package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
)

// TestGatewayExample runs Gatehouse with gatehouse.yaml (its upstream
// address swapped for the test's whoami server, its data in a temp dir)
// and checks one authenticated request end to end, for a bearer token and
// for a browser session.
func TestGatewayExample(t *testing.T) {
	up := httptest.NewServer(whoami())
	t.Cleanup(up.Close)
	c, _, err := config.Load("serve", []string{
		"--config", "gatehouse.yaml", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0",
		"--argon2-memory", "64", "--argon2-time", "1",
	}, nil, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 2 || c.Routes[1].Roles[0] != "admin" {
		t.Fatalf("routes from the YAML file: %+v", c.Routes)
	}
	for i := range c.Routes {
		u, _ := url.Parse(c.Routes[i].URL)
		u.Host = strings.TrimPrefix(up.URL, "http://")
		c.Routes[i].URL = u.String()
	}
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	gh := httptest.NewServer(a.Handler())
	t.Cleanup(func() { gh.Close(); a.Close() })

	call := func(method, path string, body any, hdr ...string) (*http.Response, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, gh.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res, m
	}
	// A Go program: the client logs in, and its Transport (which adds the
	// access token and refreshes it when it expires) calls the API behind
	// the gateway like any http.Client.
	ctx := context.Background()
	gc := client.New(gh.URL)
	if _, err := gc.Signup(ctx, "quinn", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := gc.Login(ctx, "quinn", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", gh.URL+"/api/whoami", nil)
	req.Header.Set("X-Auth-Username", "root")
	res, err := (&http.Client{Transport: gc.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var who map[string]any
	_ = json.NewDecoder(res.Body).Decode(&who)
	res.Body.Close()
	if res.StatusCode != 200 || who["path"] != "/whoami" || who["username"] != "quinn" || who["has_token"] != true {
		t.Fatalf("bearer through the gateway: %d %v", res.StatusCode, who)
	}

	res, m := call("POST", "/v1/login", map[string]string{"username": "quinn", "password": "correct horse battery", "delivery": "cookie"})
	var cookie string
	for _, ck := range res.Cookies() {
		if ck.Name == "__Host-gatehouse" {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatalf("cookie login: %d %v", res.StatusCode, m)
	}
	res, who = call("GET", "/api/whoami", nil, "Cookie", cookie)
	if res.StatusCode != 200 || who["username"] != "quinn" || who["has_token"] != true || who["cookie"] != "" {
		t.Fatalf("browser session through the gateway: %d %v", res.StatusCode, who)
	}

	if res, m := call("GET", "/admin/", nil, "Cookie", cookie); res.StatusCode != 403 || m["error"] != "forbidden" {
		t.Fatalf("admin route without the role: %d %v", res.StatusCode, m)
	}
	if res, _ := call("GET", "/admin/", nil, "Accept", "text/html"); res.StatusCode != 302 || res.Header.Get("Location") != "/login?return_to=%2Fadmin%2F" {
		t.Fatalf("browser without a session: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}
