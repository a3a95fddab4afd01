package forwardauth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

const adminToken = "test-admin-token-0123456789abcdef012345"

// gatehouse is a real node behind httptest, with one verify rule.
type gatehouse struct {
	url string
	app *app.App
}

func startGatehouse(t *testing.T) *gatehouse {
	t.Helper()
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.VerifyRule = []string{"/app/admin/=admin"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &gatehouse{url: srv.URL, app: a}
}

func (g *gatehouse) call(t *testing.T, method, path, bearer string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, g.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return m
}

// user signs up and logs in: user id, access token.
func (g *gatehouse) user(t *testing.T, name string) (string, string) {
	t.Helper()
	m := g.call(t, "POST", "/v1/signup", "", map[string]string{"username": name, "password": "correct horse battery"})
	uid := m["user"].(map[string]any)["id"].(string)
	m = g.call(t, "POST", "/v1/login", "", map[string]string{"username": name, "password": "correct horse battery"})
	return uid, m["access_token"].(string)
}

// upstream records the identity headers that reached it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Header.Clone())
		u.mu.Unlock()
		_, _ = io.WriteString(w, "upstream "+r.URL.Path)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

func (u *upstream) last() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return nil
	}
	return u.seen[len(u.seen)-1]
}
