package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/config"
)

// cnfJKT reads the cnf.jkt claim of an access token (no verification:
// the server verified it; this only looks).
func cnfJKT(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Cnf.JKT
}

// dpopClient signs up name and logs a DPoP client in as it.
func (s *server) dpopClient(name string, alg client.DPoPAlg, opts ...client.Option) (*client.Client, string) {
	return s.loggedIn(name, append([]client.Option{client.WithDPoP(alg), client.WithClock(s.clock.Now)}, opts...)...)
}

// TestDPoPEndToEnd: against a real node, a WithDPoP client's login is
// bound (token_type DPoP, cnf.jkt = the key's thumbprint) with EdDSA and
// ES256; its calls, refresh and reauth are proved and stay bound to the
// same key; the stolen access token is refused as a bearer token and
// without a proof, the stolen refresh token without the key.
func TestDPoPEndToEnd(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	for _, alg := range []client.DPoPAlg{client.DPoPEdDSA, client.DPoPES256} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := context.Background()
			c, uid := s.dpopClient("dpop-"+strings.ToLower(string(alg)), alg)
			tok := must[client.Tokens](t)(c.Tokens().Load(ctx))
			jkt := must[string](t)(tok.DPoPThumbprint())
			if tok.DPoPKey == "" || jkt == "" || cnfJKT(t, tok.AccessToken) != jkt {
				t.Fatalf("not bound: key %v, cnf.jkt %q, thumbprint %q", tok.DPoPKey != "", cnfJKT(t, tok.AccessToken), jkt)
			}
			if me := must[*client.Me](t)(c.Me(ctx)); me.User.ID != uid {
				t.Fatalf("me %+v", me)
			}
			must[*client.Identity](t)(c.Verify(ctx))
			p := must[*client.TokenPair](t)(c.Refresh(ctx))
			if p.TokenType != "DPoP" {
				t.Fatalf("refresh: token type %q", p.TokenType)
			}
			p = must[*client.TokenPair](t)(c.Reauth(ctx, pw))
			if p.TokenType != "DPoP" || cnfJKT(t, p.AccessToken) != jkt {
				t.Fatalf("reauth: token type %q, cnf.jkt %q", p.TokenType, cnfJKT(t, p.AccessToken))
			}
			after := must[client.Tokens](t)(c.Tokens().Load(ctx))
			if after.DPoPKey != tok.DPoPKey {
				t.Fatal("the key changed")
			}

			// A thief with the tokens but not the key.
			thief := s.newClient()
			ok(t, thief.Tokens().Save(ctx, client.Tokens{AccessToken: after.AccessToken, RefreshToken: after.RefreshToken}))
			_, err := thief.Me(ctx)
			wantErr(t, err, client.ErrInvalidToken, 401)
			req, _ := http.NewRequest("GET", s.url+"/v1/me", nil)
			req.Header.Set("Authorization", "DPoP "+after.AccessToken)
			res := must[*http.Response](t)(http.DefaultClient.Do(req))
			res.Body.Close()
			if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_dpop_proof"`) {
				t.Fatalf("bound token without a proof: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
			// The refresh token without the key: refused, and it changes
			// nothing (the owner refreshes afterwards).
			_, err = thief.Refresh(ctx)
			if err == nil || errors.Is(err, client.ErrRefreshReused) {
				t.Fatalf("thief's refresh: %v", err)
			}
			// A thief with its own key is refused too.
			other := s.newClient(client.WithDPoP(alg), client.WithClock(s.clock.Now))
			ok(t, other.Tokens().Save(ctx, client.Tokens{AccessToken: after.AccessToken, RefreshToken: after.RefreshToken, DPoPKey: must[string](t)(client.NewDPoPKey(alg))}))
			if _, err := other.Refresh(ctx); err == nil {
				t.Fatal("refresh with another key succeeded")
			}
			if _, err := other.Me(ctx); !errors.Is(err, client.ErrInvalidDPoPProof) {
				t.Fatalf("access token with another key's proof: %v", err)
			}
			must[*client.TokenPair](t)(c.Refresh(ctx))
			must[*client.Me](t)(c.Me(ctx))
		})
	}
}

// TestDPoPConcurrentExpiredRequestsRefreshOnce: 50 requests of a DPoP
// client sent at once with an expired access token cause exactly one
// (proved) refresh, and every one of them succeeds.
func TestDPoPConcurrentExpiredRequestsRefreshOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, uid := s.dpopClient("dpop-grace", "")
	s.clock.Add(16 * time.Minute)
	fiftyAtOnceRefreshOnce(t, s, c, uid)
	tok := must[client.Tokens](t)(c.Tokens().Load(ctx))
	if cnfJKT(t, tok.AccessToken) != must[string](t)(tok.DPoPThumbprint()) {
		t.Fatal("the refreshed token is not bound to the client's key")
	}
}

// TestDPoPNonceEndToEnd: with --dpop-nonce, the client's first login is
// refused with use_dpop_nonce and retried once; afterwards the nonce the
// answers carry is used, so refreshes take one request each, also after
// the nonce rotated.
func TestDPoPNonceEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, func(c *config.Config) { c.DPoPNonce = true })
	c, _ := s.dpopClient("dpop-nonce", "")
	must[*client.Me](t)(c.Me(ctx))
	before := s.refreshes.Load()
	for range 3 {
		must[*client.TokenPair](t)(c.Refresh(ctx))
	}
	if n := s.refreshes.Load() - before; n != 3 {
		t.Fatalf("%d refresh requests for 3 refreshes, want 3 (the nonce is remembered)", n)
	}
	// Long after: the remembered nonce is stale; one retry with the new one.
	s.clock.Add(time.Hour)
	before = s.refreshes.Load()
	must[*client.TokenPair](t)(c.Refresh(ctx))
	if n := s.refreshes.Load() - before; n != 2 {
		t.Fatalf("%d refresh requests with a stale nonce, want 2 (one retry)", n)
	}
	must[*client.Me](t)(c.Me(ctx))
}

// TestDPoPKeyInFileStore: the key is kept in the token file (0600, with
// the tokens), a second client on the file goes on with the same key, and
// a logout removes it.
func TestDPoPKeyInFileStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	path := filepath.Join(t.TempDir(), "tokens.json")
	c, uid := s.dpopClient("dpop-file", client.DPoPES256, client.WithTokenStore(client.NewFileStore(path)))
	st := must[os.FileInfo](t)(os.Stat(path))
	b := must[[]byte](t)(os.ReadFile(path))
	if st.Mode().Perm() != 0o600 || !strings.Contains(string(b), `"dpop_key"`) {
		t.Fatalf("mode %v, key in file: %v", st.Mode().Perm(), strings.Contains(string(b), `"dpop_key"`))
	}
	next := s.newClient(client.WithTokenStore(client.NewFileStore(path)), client.WithClock(s.clock.Now))
	if me := must[*client.Me](t)(next.Me(ctx)); me.User.ID != uid {
		t.Fatalf("me %+v", me)
	}
	s.clock.Add(16 * time.Minute)
	must[*client.Me](t)(next.Me(ctx)) // refresh proved with the file's key
	ok(t, next.Logout(ctx, client.ScopeLocal))
	if tok := must[client.Tokens](t)(c.Tokens().Load(ctx)); tok.DPoPKey != "" || tok.AccessToken != "" {
		t.Fatalf("after logout: %+v", tok)
	}
}
