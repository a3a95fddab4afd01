package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

// TestConcurrentExpiredRequestsRefreshOnce: 50 requests sent at once with
// an expired access token cause exactly one POST /v1/token/refresh, and
// every one of them succeeds on its retry.
func TestConcurrentExpiredRequestsRefreshOnce(t *testing.T) {
	t.Parallel()
	s := start(t, nil)
	c, uid := s.loggedIn("grace")
	s.clock.Add(16 * time.Minute) // past the 15 min access TTL and the leeway
	fiftyAtOnceRefreshOnce(t, s, c, uid)
}

// fiftyAtOnceRefreshOnce sends 50 concurrent requests through c, whose
// access token has expired: all must succeed as uid, with exactly one
// refresh between them.
func fiftyAtOnceRefreshOnce(t *testing.T, s *server, c *client.Client, uid string) {
	t.Helper()
	ctx := context.Background()
	before := s.refreshes.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	gate := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-gate
			me, err := c.Me(ctx)
			if err == nil && me.User.ID != uid {
				err = errors.New("wrong user")
			}
			errs <- err
		})
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.refreshes.Load() - before; n != 1 {
		t.Fatalf("%d refresh requests, want exactly 1", n)
	}
}

// TestTransportForOtherServers: the Transport in a plain http.Client adds
// the token, refreshes on expiry and replays a POST body.
func TestTransportForOtherServers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, _ := s.loggedIn("heidi")
	s.clock.Add(16 * time.Minute)
	hc := &http.Client{Transport: c.Transport()}
	body := `{"password":"` + pw + `"}`
	req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/reauth", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("reauth through the transport: %d %s", res.StatusCode, b)
	}
	if req.Header.Get("Authorization") != "" {
		t.Fatal("the transport changed the caller's request")
	}

	// A body without GetBody cannot be replayed: the 401 comes back.
	s.clock.Add(16 * time.Minute)
	req, _ = http.NewRequestWithContext(ctx, "POST", s.url+"/v1/reauth", io.MultiReader(bytes.NewReader([]byte(body))))
	req.Header.Set("Content-Type", "application/json")
	res, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 401 || !bytes.Contains(b, []byte("token_expired")) {
		t.Fatalf("unreplayable body: %d %s, want the 401 token_expired", res.StatusCode, b)
	}
}

// TestReusedRefreshLogsOut: a refresh token presented again after the
// grace window ends the session; the transport answers ErrLoggedOut and
// keeps only the device id.
func TestReusedRefreshLogsOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, _ := s.loggedIn("ivan")
	stale := must[client.Tokens](t)(c.Tokens().Load(ctx))
	must[*client.TokenPair](t)(c.Refresh(ctx))
	s.clock.Add(16 * time.Minute) // past the grace window and the access TTL
	ok(t, c.Tokens().Save(ctx, stale))

	_, err := c.Me(ctx)
	if !errors.Is(err, client.ErrLoggedOut) || !errors.Is(err, client.ErrRefreshReused) {
		t.Fatalf("err = %v, want ErrLoggedOut wrapping refresh_token_reused", err)
	}
	tok := must[client.Tokens](t)(c.Tokens().Load(ctx))
	if tok != (client.Tokens{DeviceID: stale.DeviceID}) {
		t.Fatalf("store after logged out: %+v", tok)
	}
	// The session is over for the other holder too.
	_, err = c.Refresh(ctx)
	if !errors.Is(err, client.ErrLoggedOut) {
		t.Fatalf("refresh without a refresh token: %v", err)
	}
}

// TestEndedSessionLogsOut: after a logout elsewhere, an expired access
// token's refresh is invalid_refresh_token: ErrLoggedOut.
func TestEndedSessionLogsOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, uid := s.loggedIn("judy")
	ok(t, s.newClient().ForceLogout(ctx, uid))
	s.clock.Add(16 * time.Minute)
	_, err := c.Sessions(ctx, client.Page{})
	if !errors.Is(err, client.ErrLoggedOut) || !errors.Is(err, client.ErrInvalidRefreshToken) {
		t.Fatalf("err = %v, want ErrLoggedOut wrapping invalid_refresh_token", err)
	}
}

// pausing is a Base transport that holds the first answer to pausePath
// until release is closed, signalling held when it has it.
type pausing struct {
	base      http.RoundTripper
	pausePath string
	once      sync.Once
	held      chan struct{}
	release   chan struct{}
}

func (p *pausing) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := p.base.RoundTrip(r)
	if r.URL.Path == p.pausePath {
		p.once.Do(func() {
			close(p.held)
			<-p.release
		})
	}
	return res, err
}

// TestLateExpiredAnswerRetriesWithoutRefreshing: a request sent with the
// old access token whose 401 arrives after another refresh replaced the
// pair retries with the new token and does not refresh again (a second
// refresh of the spent token would be a reuse).
func TestLateExpiredAnswerRetriesWithoutRefreshing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	p := &pausing{base: http.DefaultTransport, pausePath: "/v1/me", held: make(chan struct{}), release: make(chan struct{})}
	c, uid := s.loggedIn("lena", client.WithHTTPClient(&http.Client{Transport: p}))
	s.clock.Add(16 * time.Minute)
	before := s.refreshes.Load()

	done := make(chan error, 1)
	go func() {
		me, err := c.Me(ctx)
		if err == nil && me.User.ID != uid {
			err = errors.New("wrong user")
		}
		done <- err
	}()
	<-p.held // Me has its 401 token_expired in hand
	must[*client.TokenPair](t)(c.Refresh(ctx))
	close(p.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := s.refreshes.Load() - before; n != 1 {
		t.Fatalf("%d refresh requests, want 1 (the late answer must reuse the new pair)", n)
	}
}

// failing is a Base transport whose next refresh request fails with a
// network error.
type failing struct {
	base http.RoundTripper
	fail atomic.Bool
}

var errNetwork = errors.New("network down")

func (f *failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v1/token/refresh" && f.fail.CompareAndSwap(true, false) {
		return nil, errNetwork
	}
	return f.base.RoundTrip(r)
}

// TestFailedRefreshKeepsTheSession: a refresh that fails on the network is
// the request's error, the pair is kept, and the next request refreshes.
func TestFailedRefreshKeepsTheSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	f := &failing{base: http.DefaultTransport}
	c, _ := s.loggedIn("mona", client.WithHTTPClient(&http.Client{Transport: f}))
	before := must[client.Tokens](t)(c.Tokens().Load(ctx))
	s.clock.Add(16 * time.Minute)
	f.fail.Store(true)
	if _, err := c.Me(ctx); !errors.Is(err, errNetwork) || errors.Is(err, client.ErrLoggedOut) {
		t.Fatalf("err = %v, want the network error", err)
	}
	if got := must[client.Tokens](t)(c.Tokens().Load(ctx)); got != before {
		t.Fatalf("store changed: %+v", got)
	}
	must[*client.Me](t)(c.Me(ctx))
}

// TestOnlyExpiryRefreshes: a revoked access token's 401 is returned as it
// is, without a refresh (its refresh token is dead too).
func TestOnlyExpiryRefreshes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	c, uid := s.loggedIn("nina")
	ok(t, s.newClient().ForceLogout(ctx, uid))
	before := s.refreshes.Load()
	_, err := c.Me(ctx)
	wantErr(t, err, client.ErrTokenRevoked, 401)
	if n := s.refreshes.Load() - before; n != 0 {
		t.Fatalf("%d refreshes for a revoked token", n)
	}
}
