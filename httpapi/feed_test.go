package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

const feedToken = "feed-token-for-tests-0123456789abcdef"

// feedServers maps a test's name to the API server startFeed built.
var feedServers, feedHTTPServers sync.Map

type feedOpts struct {
	heartbeat    time.Duration
	buffer       int
	writeTimeout time.Duration
	noSyncLoop   bool // the test calls Sync itself
}

// startFeed runs a node with its sync loop (unless noSyncLoop) and serves
// its API with the feed's timing overridden.
func startFeed(t *testing.T, o feedOpts) *env {
	t.Helper()
	c := testConfig(t)
	c.FeedToken = feedToken
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	api := a.API()
	httpapi.SetFeedTiming(api, o.heartbeat, o.buffer)
	feedServers.Store(t.Name(), api)
	srv := httptest.NewUnstartedServer(api)
	srv.Config.WriteTimeout = o.writeTimeout
	srv.Start()
	feedHTTPServers.Store(t.Name(), srv)
	ctx, cancel := context.WithCancel(context.Background())
	if !o.noSyncLoop {
		go a.Background(ctx)
	}
	t.Cleanup(func() { cancel(); srv.CloseClientConnections(); srv.Close(); a.Close() })
	return &env{t: t, url: srv.URL, app: a, clock: clk, cfg: c}
}

// sseBlock is one block of the stream: an event (id, data) or a comment.
type sseBlock struct {
	id, data, comment string
	at                time.Time
}

// subscribe opens the feed and returns its blocks as they arrive. Do
// returns once the server has subscribed (it flushes its first block only
// after that).
func (e *env) subscribe(lastID string) <-chan sseBlock {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/v1/revocations", nil)
	req.Header.Set("Authorization", "Bearer "+feedToken)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("feed: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseBlock, 1024)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var b sseBlock
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if b.id != "" || b.data != "" || b.comment != "" {
					b.at = time.Now()
					out <- b
				}
				b = sseBlock{}
			case strings.HasPrefix(line, ":"):
				b.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				b.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				b.data = line[6:]
			}
		}
	}()
	return out
}

// nextEvent skips comments and returns the next event, failing after d.
func nextEvent(t *testing.T, c <-chan sseBlock, d time.Duration) sseBlock {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case b, ok := <-c:
			if !ok {
				t.Fatal("feed closed")
			}
			if b.id != "" {
				return b
			}
		case <-deadline:
			t.Fatalf("no event within %v", d)
		}
	}
}

func eventJSON(t *testing.T, b sseBlock) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(b.data), &m); err != nil {
		t.Fatalf("event data %q: %v", b.data, err)
	}
	if _, err := time.Parse(time.RFC3339, m["until"].(string)); err != nil {
		t.Fatalf("until: %v", err)
	}
	return m
}

func (e *env) logout(p pair) {
	e.t.Helper()
	expect(e.t, e.do("POST", "/v1/logout", p.Access, map[string]string{"scope": "local"}), 204, "")
}

func TestFeedAuth(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{})
	_, p := e.user("alice")
	for _, tc := range []struct {
		name, auth string
		status     int
		challenge  string
	}{
		{"no credential", "", 401, "Bearer"},
		{"wrong token", "Bearer " + strings.Repeat("x", len(feedToken)), 401, `Bearer error="invalid_token"`},
		{"a user's access token", "Bearer " + p.Access, 401, `Bearer error="invalid_token"`},
		{"malformed", "Bearer  a b", 401, `Bearer error="invalid_token"`},
		{"basic", "Basic " + feedToken, 401, `Bearer error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/v1/revocations", "", nil, "Authorization", tc.auth)
			expect(t, r, tc.status, "invalid_token")
			if got := r.header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
		})
	}
	for _, tok := range []string{feedToken, adminToken} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/v1/revocations", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Errorf("token %.4s…: status %d", tok, res.StatusCode)
		}
		cancel()
		res.Body.Close()
	}
}

func TestFeedDisabledWithoutTokens(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.AdminToken, c.FeedToken = "", "" })
	expect(t, e.do("GET", "/v1/revocations", "anything", nil), 403, "forbidden")
}

// TestFeedReplaysThenStreamsLive: what is in force is replayed at
// connect; a logout afterwards arrives within milliseconds (the local
// revocation kicks the sync loop, which feeds every subscriber).
func TestFeedReplaysThenStreamsLive(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{})
	uid, p1 := e.user("alice")
	p2 := e.login("alice", "correct horse battery")
	e.logout(p1)
	c := e.subscribe("")
	first := nextEvent(t, c, 5*time.Second)
	if m := eventJSON(t, first); m["sid"] != p1.Session || m["sub"] != uid || m["not_before"] != nil {
		t.Fatalf("replayed %s, want session %s", first.data, p1.Session)
	}
	start := time.Now()
	e.logout(p2)
	live := nextEvent(t, c, 5*time.Second)
	lat := live.at.Sub(start)
	t.Logf("logout → feed event: %v", lat)
	if m := eventJSON(t, live); m["sid"] != p2.Session {
		t.Fatalf("live event %s, want session %s", live.data, p2.Session)
	}
	if a, b := idOf(t, first), idOf(t, live); b <= a {
		t.Fatalf("ids not increasing: %d then %d", a, b)
	}
	if lat > time.Second { // milliseconds in practice; generous for a loaded CI
		t.Fatalf("live event took %v", lat)
	}
	// A user-wide revocation (account deletion) carries not_before.
	p3 := e.login("alice", "correct horse battery")
	expect(t, e.do("DELETE", "/v1/me", p3.Access, nil), 204, "")
	for {
		m := eventJSON(t, nextEvent(t, c, 5*time.Second))
		if m["not_before"] != nil {
			if m["sub"] != uid || m["sid"] != nil {
				t.Fatalf("user-wide event %v", m)
			}
			break
		}
	}
}

func idOf(t *testing.T, b sseBlock) int64 {
	t.Helper()
	n, err := strconv.ParseInt(b.id, 10, 64)
	if err != nil {
		t.Fatalf("id %q", b.id)
	}
	return n
}

func TestFeedResumesAfterLastEventID(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{})
	_, p1 := e.user("alice")
	_, p2 := e.user("bob")
	_, p3 := e.user("carol")
	e.logout(p1)
	e.logout(p2)
	all := e.subscribe("")
	ev1 := nextEvent(t, all, 5*time.Second)
	nextEvent(t, all, 5*time.Second)
	e.logout(p3)
	ev3 := nextEvent(t, all, 5*time.Second)
	cases := []struct {
		last string
		want []string
		c    <-chan sseBlock
	}{
		{last: ev1.id, want: []string{p2.Session, p3.Session}},
		{last: ev3.id},
		{last: "0", want: []string{p1.Session, p2.Session, p3.Session}},
		{last: "garbage", want: []string{p1.Session, p2.Session, p3.Session}},
		// An id beyond the log (a restored store): everything in force.
		{last: "999999", want: []string{p1.Session, p2.Session, p3.Session}},
	}
	for i := range cases {
		cases[i].c = e.subscribe(cases[i].last)
	}
	_, px := e.user("dave")
	e.logout(px)
	for _, tc := range cases {
		for _, sid := range append(tc.want, px.Session) {
			if m := eventJSON(t, nextEvent(t, tc.c, 5*time.Second)); m["sid"] != sid {
				t.Fatalf("Last-Event-ID %s: got %v, want %s", tc.last, m["sid"], sid)
			}
		}
	}
}

func TestFeedHeartbeat(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{heartbeat: 20 * time.Millisecond})
	c := e.subscribe("")
	n := 0
	deadline := time.After(5 * time.Second)
	for n < 3 {
		select {
		case b := <-c:
			if b.comment == "heartbeat" {
				n++
			}
		case <-deadline:
			t.Fatalf("%d heartbeats in 5s", n)
		}
	}
}

// TestFeedLaggedSubscriberLosesNothing: a subscriber whose buffer (1) is
// overrun by one sync's batch is resumed from the last id it was sent,
// without a gap or a duplicate.
func TestFeedLaggedSubscriberLosesNothing(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{buffer: 1, noSyncLoop: true})
	var sids []string
	var pairs []pair
	for i := range 6 {
		_, p := e.user("user" + strconv.Itoa(i))
		pairs = append(pairs, p)
	}
	c := e.subscribe("")
	for _, p := range pairs {
		e.logout(p) // local adds only: no sync loop runs
		sids = append(sids, p.Session)
	}
	if err := e.app.Revoked.Sync(context.Background(), e.app.Store, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	var prev int64
	for i, sid := range sids {
		ev := nextEvent(t, c, 5*time.Second)
		if m := eventJSON(t, ev); m["sid"] != sid {
			t.Fatalf("event %d: %v, want %s", i, m["sid"], sid)
		}
		if id := idOf(t, ev); id <= prev {
			t.Fatalf("id %d after %d", id, prev)
		} else {
			prev = id
		}
	}
	api, _ := feedServers.Load(t.Name())
	if n := httpapi.FeedResumes(api.(*httpapi.Server)); n == 0 {
		t.Fatal("the subscriber never lagged: the resume path was not exercised")
	}
}

// TestFeedOutlivesWriteTimeout: the server's WriteTimeout would cut the
// stream; the feed extends the deadline per write, so it stays connected
// well past it and still carries events.
func TestFeedOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	const wt = 200 * time.Millisecond
	e := startFeed(t, feedOpts{heartbeat: 50 * time.Millisecond, writeTimeout: wt})
	_, p := e.user("alice")
	start := time.Now()
	c := e.subscribe("")
	for time.Since(start) < 4*wt {
		select {
		case _, ok := <-c:
			if !ok {
				t.Fatalf("stream cut after %v (WriteTimeout %v)", time.Since(start), wt)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat")
		}
	}
	e.logout(p)
	if m := eventJSON(t, nextEvent(t, c, 5*time.Second)); m["sid"] != p.Session {
		t.Fatalf("event %v", m)
	}
}

// TestFeedEndsOnShutdown: a graceful shutdown ends the streams at once
// instead of waiting for them to go idle (they never do).
func TestFeedEndsOnShutdown(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{})
	c := e.subscribe("")
	srv, _ := feedHTTPServers.Load(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.(*httptest.Server).Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v after %v", err, time.Since(start))
	}
	for range c { // drains until the stream ends
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}

// TestFeedFansOutToManySubscribers: fifty subscribers of one node each get
// a logout live, from the node's one sync loop.
func TestFeedFansOutToManySubscribers(t *testing.T) {
	t.Parallel()
	e := startFeed(t, feedOpts{})
	_, p := e.user("alice")
	subs := make([]<-chan sseBlock, 50)
	for i := range subs {
		subs[i] = e.subscribe("")
	}
	e.logout(p)
	for i, c := range subs {
		if m := eventJSON(t, nextEvent(t, c, 5*time.Second)); m["sid"] != p.Session {
			t.Fatalf("subscriber %d got %v", i, m)
		}
	}
}
