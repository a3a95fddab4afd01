package verifier_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/client"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/verifier"
)

const (
	adminToken = "test-admin-token-0123456789abcdef012345"
	feedToken  = "feed-token-for-tests-0123456789abcdef"
	issuer     = "http://gatehouse.test"
)

// gatehouse is a real node (SQLite in a temp dir, its sync loop running)
// behind httptest, with counters and a switch to refuse the feed.
type gatehouse struct {
	t        testing.TB
	app      *app.App
	srv      *httptest.Server
	jwksHits atomic.Int64
	feedHits atomic.Int64
	feedDown atomic.Bool
	// clients are the Go clients of login's sessions, by access token.
	clients sync.Map
}

func startGatehouse(t testing.TB) *gatehouse {
	t.Helper()
	c := testenv.Config(t)
	c.AdminToken, c.FeedToken, c.Issuer = adminToken, feedToken, issuer
	c.RateIPBurst, c.RateUserBurst = 0, 0 // many signups from one address
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &gatehouse{t: t, app: a}
	h := a.Handler()
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/jwks.json":
			g.jwksHits.Add(1)
		case "/v1/revocations":
			g.feedHits.Add(1)
			if g.feedDown.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	go a.Background(ctx)
	t.Cleanup(func() { cancel(); g.srv.CloseClientConnections(); g.srv.Close(); a.Close() })
	return g
}

// disconnect refuses the feed, cuts the verifiers' streams and waits until
// a reconnection has been refused.
func (g *gatehouse) disconnect(t *testing.T) {
	t.Helper()
	g.feedDown.Store(true)
	hits := g.feedHits.Load()
	g.srv.CloseClientConnections()
	eventually(t, func() bool { return g.feedHits.Load() > hits })
}

// eventually polls cond every 200µs for up to 5 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		<-tick.C
	}
}

func (g *gatehouse) options() verifier.Options {
	return verifier.Options{
		Issuer: issuer, Audience: "gatehouse",
		JWKSURL:   g.srv.URL + "/.well-known/jwks.json",
		FeedURL:   g.srv.URL + "/v1/revocations",
		FeedToken: feedToken,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (g *gatehouse) verifier(mutate func(*verifier.Options)) *verifier.Verifier {
	g.t.Helper()
	o := g.options()
	if mutate != nil {
		mutate(&o)
	}
	v, err := verifier.New(context.Background(), o)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(v.Close)
	return v
}

var users atomic.Int64

// login signs up a fresh user and logs in through the Go client; it
// returns an access token and its session. The client is kept for logout.
func (g *gatehouse) login() (tok, sid string) {
	g.t.Helper()
	ctx := context.Background()
	name := "user" + strconv.FormatInt(users.Add(1), 10)
	c := client.New(g.srv.URL)
	if _, err := c.Signup(ctx, name, "correct horse battery"); err != nil {
		g.t.Fatalf("signup: %v", err)
	}
	p, err := c.Login(ctx, name, "correct horse battery")
	if err != nil {
		g.t.Fatalf("login: %v", err)
	}
	g.clients.Store(p.AccessToken, c)
	return p.AccessToken, p.SessionID
}

// logout ends the session of an access token login returned.
func (g *gatehouse) logout(tok string) {
	g.t.Helper()
	c, ok := g.clients.Load(tok)
	if !ok {
		g.t.Fatal("logout: not a token of login")
	}
	if err := c.(*client.Client).Logout(context.Background(), client.ScopeLocal); err != nil {
		g.t.Fatalf("logout: %v", err)
	}
}

// waitFor polls Verify until it fails with want, and returns how long that
// took.
func waitFor(t *testing.T, v *verifier.Verifier, tok string, want error, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for {
		_, err := v.Verify(context.Background(), tok)
		if errors.Is(err, want) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("after %v Verify = %v, want %v", within, err, want)
		}
		<-tick.C
	}
}

func TestVerifyFreshToken(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	v := g.verifier(nil)
	tok, sid := g.login()
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionID != sid || c.Issuer != issuer || c.Subject == "" || c.Roles == nil {
		t.Fatalf("claims %+v", c)
	}
	for _, bad := range []string{"", "x", tok + "x", strings.Replace(tok, ".", "..", 1)} {
		if _, err := v.Verify(context.Background(), bad); !errors.Is(err, verifier.ErrInvalid) {
			t.Errorf("Verify(%.20q) = %v, want ErrInvalid", bad, err)
		}
	}
	if stale, down := v.Stale(); stale || down != 0 {
		t.Fatalf("Stale = %v %v while connected", stale, down)
	}
}

// TestLogoutRefusedWithin50ms: a logout on Gatehouse reaches the verifier
// through the feed; the token is refused within 50 ms.
func TestLogoutRefusedWithin50ms(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	v := g.verifier(nil)
	tok, _ := g.login()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err) // and now it is in the verified-token cache
	}
	g.logout(tok)
	d := waitFor(t, v, tok, verifier.ErrRevoked, time.Second)
	t.Logf("logout → refused: %v", d)
	if d > 50*time.Millisecond {
		t.Fatalf("refused after %v, want ≤ 50ms", d)
	}
}

// TestFeedDisconnectLosesNothing: a revocation made while the verifier is
// disconnected from the feed is applied when it reconnects (Last-Event-ID).
func TestFeedDisconnectLosesNothing(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	v := g.verifier(nil)
	before, _ := g.login()
	during, _ := g.login()
	g.logout(before)
	waitFor(t, v, before, verifier.ErrRevoked, 5*time.Second)

	g.disconnect(t)
	g.logout(during)
	if _, err := v.Verify(context.Background(), during); err != nil {
		t.Fatalf("while disconnected: %v (the revocation cannot be known yet)", err)
	}
	g.feedDown.Store(false)
	waitFor(t, v, during, verifier.ErrRevoked, 5*time.Second)
	if _, err := v.Verify(context.Background(), before); !errors.Is(err, verifier.ErrRevoked) {
		t.Fatalf("earlier revocation lost: %v", err)
	}
	eventually(t, func() bool { _, down := v.Stale(); return down == 0 })
}

// TestStalePolicy: the feed down longer than StaleAfter (an injected
// clock) refuses everything under FailClosed and keeps serving under
// KeepServing; OnStale hears of it once, and of the recovery.
func TestStalePolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy verifier.StalePolicy
		want   error
	}{
		{verifier.FailClosed, verifier.ErrStale},
		{verifier.KeepServing, nil},
	} {
		t.Run(strconv.Itoa(int(tc.policy)), func(t *testing.T) {
			t.Parallel()
			g := startGatehouse(t)
			clk := testenv.NewClock(time.Now())
			var reports []time.Duration
			reported := make(chan struct{}, 4)
			v := g.verifier(func(o *verifier.Options) {
				o.Now, o.StaleAfter, o.StalePolicy = clk.Now, time.Minute, tc.policy
				o.OnStale = func(d time.Duration) { reports = append(reports, d); reported <- struct{}{} }
			})
			tok, _ := g.login()
			g.disconnect(t)
			clk.Add(30 * time.Second)
			if stale, down := v.Stale(); stale || down != 30*time.Second {
				t.Fatalf("Stale = %v %v, want false 30s", stale, down)
			}
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Fatalf("within StaleAfter: %v", err)
			}
			clk.Add(90 * time.Second)
			if stale, down := v.Stale(); !stale || down < 2*time.Minute {
				t.Fatalf("Stale = %v %v", stale, down)
			}
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("stale Verify = %v, want %v", err, tc.want)
			}
			<-reported
			g.feedDown.Store(false)
			select {
			case <-reported:
			case <-time.After(5 * time.Second):
				t.Fatal("OnStale not told of the recovery")
			}
			if len(reports) != 2 || reports[0] < 2*time.Minute || reports[1] != 0 {
				t.Fatalf("OnStale calls %v", reports)
			}
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

// withKid replaces a token's header with one naming kid.
func withKid(tok, kid string) string {
	_, rest, _ := strings.Cut(tok, ".")
	h, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "at+jwt", "kid": kid})
	return base64.RawURLEncoding.EncodeToString(h) + "." + rest
}

// TestUnknownKidFloodIsBounded: thousands of tokens naming random kids make
// at most one JWKS fetch per MinRefreshInterval.
func TestUnknownKidFloodIsBounded(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	clk := testenv.NewClock(time.Now())
	v := g.verifier(func(o *verifier.Options) { o.Now, o.MinRefreshInterval = clk.Now, 10*time.Second })
	tok, _ := g.login()
	base := g.jwksHits.Load()
	// Eight goroutines at once: concurrent misses share one fetch.
	flood := func() {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 250 {
					if _, err := v.Verify(context.Background(), withKid(tok, "kid-"+strconv.Itoa(w*1000+i))); !errors.Is(err, verifier.ErrInvalid) {
						t.Errorf("forged kid: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	flood()
	if n := g.jwksHits.Load() - base; n != 0 {
		t.Fatalf("%d JWKS fetches within the interval of the first", n)
	}
	clk.Add(11 * time.Second)
	flood()
	if n := g.jwksHits.Load() - base; n != 1 {
		t.Fatalf("%d JWKS fetches for a flood after the interval, want 1", n)
	}
}

// TestKeyRotationPickedUp: a token signed with a key rotated in on
// Gatehouse after the verifier started verifies (unknown kid → refetch).
func TestKeyRotationPickedUp(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	clk := testenv.NewClock(time.Now())
	v := g.verifier(func(o *verifier.Options) { o.Now = clk.Now })
	old, _ := g.login()
	if _, err := g.app.Keys.Rotate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	fresh, _ := g.login()
	if peek(fresh) == peek(old) {
		t.Fatal("rotation did not change the signing key")
	}
	clk.Add(11 * time.Second) // past MinRefreshInterval since New's fetch
	for _, tok := range []string{fresh, old} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("kid %s: %v", peek(tok), err)
		}
	}
}

func peek(tok string) string {
	h, _, _ := strings.Cut(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(h)
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	return m["kid"]
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	o := g.options()
	o.JWKSURL, o.Issuer, o.DiscoveryURL = "", "", g.srv.URL+"/.well-known/openid-configuration"
	// Gatehouse advertises its --issuer, whose jwks_uri is not this test
	// server: point JWKSURL here and let discovery supply the issuer.
	o.JWKSURL = g.srv.URL + "/.well-known/jwks.json"
	v, err := verifier.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok, _ := g.login()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	o.Issuer = "https://other.example"
	if _, err := verifier.New(context.Background(), o); err == nil {
		t.Fatal("an issuer that disagrees with discovery was accepted")
	}
}

func TestNewFailsWithoutFeed(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t)
	g.feedDown.Store(true)
	o := g.options()
	o.StartTimeout = time.Second
	if _, err := verifier.New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("New = %v, want the feed's 503", err)
	}
	o.FeedToken = "wrong-token-wrong-token-wrong-token"
	o.StartTimeout = time.Minute // a refusal must not wait for it
	g.feedDown.Store(false)
	if _, err := verifier.New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("New with a wrong feed token = %v, want 401", err)
	}
}
