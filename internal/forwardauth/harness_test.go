package forwardauth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/dpop"
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
	// The issuer is the node's real URL: DPoP proofs at the token
	// endpoints name it in htu.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.Config(t)
	c.AdminToken = adminToken
	c.Issuer = "http://" + ln.Addr().String()
	c.VerifyRule = []string{"/app/admin/=admin"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &gatehouse{url: srv.URL, app: a}
}

// account is a signed-up, logged-in user: the Go client holds the session.
type account struct {
	id, token string
	c         *client.Client
}

// user signs up and logs in through the Go client.
func (g *gatehouse) user(t *testing.T, name string) account {
	t.Helper()
	ctx := context.Background()
	c := client.New(g.url)
	u, err := c.Signup(ctx, name, "correct horse battery")
	if err != nil {
		t.Fatalf("signup %s: %v", name, err)
	}
	p, err := c.Login(ctx, name, "correct horse battery")
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return account{id: u.ID, token: p.AccessToken, c: c}
}

// admin is a client holding the admin token.
func (g *gatehouse) admin() *client.Client {
	return client.New(g.url, client.WithAdminToken(adminToken))
}

// dpopUser signs up and logs in with a DPoP proof by a new Ed25519 key:
// the key and the access token bound to it.
func (g *gatehouse) dpopUser(t *testing.T, name string) (*dpop.Signer, string) {
	t.Helper()
	if _, err := client.New(g.url).Signup(context.Background(), name, "correct horse battery"); err != nil {
		t.Fatalf("signup %s: %v", name, err)
	}
	s, err := dpop.GenerateSigner("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	proof, err := s.Sign("POST", g.url+"/v1/login", "", "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", g.url+"/v1/login", strings.NewReader(`{"username":"`+name+`","password":"correct horse battery"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("DPoP", proof)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if res.StatusCode != 200 || m["token_type"] != "DPoP" {
		t.Fatalf("DPoP login: %d %v", res.StatusCode, m)
	}
	return s, m["access_token"].(string)
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
