package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var testSecret = []byte("whsec_test_0123456789")

// waitLimit bounds every wait on a channel so a bug fails the test instead
// of hanging it; passing tests never come near it.
const waitLimit = 5 * time.Second

// captured is one request as seen by a test server.
type captured struct {
	method string
	header http.Header
	body   []byte
}

// server is an httptest server that reports each request on reqs and
// answers with respond(n, w, r), n counting requests from 1.
type server struct {
	*httptest.Server
	reqs chan captured
	hits atomic.Int64
}

func newServer(t *testing.T, respond func(n int64, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{reqs: make(chan captured, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := s.hits.Add(1)
		s.reqs <- captured{method: r.Method, header: r.Header.Clone(), body: body}
		respond(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func status(code int) func(int64, http.ResponseWriter, *http.Request) {
	return func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// failFirst answers the first n requests with code and later ones with 200.
func failFirst(n int64, code int) func(int64, http.ResponseWriter, *http.Request) {
	return func(i int64, w http.ResponseWriter, _ *http.Request) {
		if i <= n {
			w.WriteHeader(code)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func (s *server) next(t *testing.T) captured {
	t.Helper()
	select {
	case c := <-s.reqs:
		return c
	case <-time.After(waitLimit):
		t.Fatal("no request reached the server")
		return captured{}
	}
}

type result struct {
	id        string
	delivered bool
}

// testNow is the default clock of test senders.
var testNow = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// newSender builds a Sender with test defaults (secret, 1ms backoff, the
// fixed clock testNow, retry timers that fire at once) and returns the
// channel on which the worker reports each event's final fate. No test
// sleeps: tests that care about a delay record or hold the timers.
func newSender(t *testing.T, c Config) (*Sender, <-chan result) {
	t.Helper()
	if c.Secret == nil {
		c.Secret = testSecret
	}
	if c.Backoff == 0 {
		c.Backoff = time.Millisecond
	}
	if c.Now == nil {
		c.Now = func() time.Time { return testNow }
	}
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	s.newTimer = func(time.Duration) (<-chan time.Time, func() bool) { return fired(), func() bool { return false } }
	done := make(chan result, 100)
	s.finished = func(id string, delivered bool) { done <- result{id, delivered} }
	return s, done
}

// fired is a timer channel that has already fired.
func fired() <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- testNow
	return c
}

// heldTimer is a retry timer started by the worker; it fires only when the
// test calls fire.
type heldTimer struct {
	d       time.Duration
	c       chan time.Time
	stopped atomic.Bool
}

func (h *heldTimer) fire() { h.c <- testNow }

// holdTimers makes the sender's retry timers wait for the test: each one
// the worker starts is reported on the returned channel.
func holdTimers(s *Sender) <-chan *heldTimer {
	ch := make(chan *heldTimer, 100)
	s.newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		h := &heldTimer{d: d, c: make(chan time.Time, 1)}
		ch <- h
		return h.c, func() bool { return !h.stopped.Swap(true) }
	}
	return ch
}

func awaitTimer(t *testing.T, timers <-chan *heldTimer) *heldTimer {
	t.Helper()
	select {
	case h := <-timers:
		return h
	case <-time.After(waitLimit):
		t.Fatal("the worker never started a retry timer")
		return nil
	}
}

func awaitResult(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(waitLimit):
		t.Fatal("event never finished")
		return result{}
	}
}

// run starts s.Run and returns a stop function that cancels it and waits
// for it to return; stop is also registered as a cleanup.
func run(t *testing.T, s *Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(returned)
	}()
	stop = func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(waitLimit):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func event(id, typ string) store.Event {
	return store.Event{
		ID:        id,
		Type:      typ,
		UserID:    "u1",
		SessionID: "s1",
		IP:        "192.0.2.1",
		UserAgent: "curl/8",
		Detail:    map[string]string{"k": "v"},
		CreatedAt: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

func TestSignFormat(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	got := Sign(testSecret, 1700000000, body)
	if !regexp.MustCompile(`^t=1700000000,v1=[0-9a-f]{64}$`).MatchString(got) {
		t.Fatalf("Sign = %q, want t=<unix>,v1=<64 hex>", got)
	}
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte("1700000000." + string(body)))
	if want := "t=1700000000,v1=" + hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"e1","type":"session.created"}`)
	ts := int64(1700000000)
	now := time.Unix(ts, 0)
	good := Sign(testSecret, ts, body)
	goodV1 := strings.TrimPrefix(good, "t=1700000000,")
	otherV1 := strings.TrimPrefix(Sign([]byte("old-secret"), ts, body), "t=1700000000,")

	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"round trip", testSecret, good, body, now, time.Minute, nil},
		{"several v1, one good", testSecret, "t=1700000000," + otherV1 + "," + goodV1, body, now, time.Minute, nil},
		{"spaces and unknown scheme", testSecret, "t=1700000000, v0=abc, " + goodV1, body, now, time.Minute, nil},
		{"within tolerance, past", testSecret, good, body, now.Add(59 * time.Second), time.Minute, nil},
		{"within tolerance, future", testSecret, good, body, now.Add(-59 * time.Second), time.Minute, nil},
		{"tampered body", testSecret, good, []byte(`{"id":"e2","type":"session.created"}`), now, time.Minute, ErrSignatureMismatch},
		{"tampered timestamp", testSecret, strings.Replace(good, "t=1700000000", "t=1700000001", 1), body, now, time.Minute, ErrSignatureMismatch},
		{"tampered mac", testSecret, good[:len(good)-1] + flip(good[len(good)-1]), body, now, time.Minute, ErrSignatureMismatch},
		{"wrong secret", []byte("another"), good, body, now, time.Minute, ErrSignatureMismatch},
		{"stale", testSecret, good, body, now.Add(61 * time.Second), time.Minute, ErrStaleTimestamp},
		{"from the future", testSecret, good, body, now.Add(-61 * time.Second), time.Minute, ErrStaleTimestamp},
		{"default tolerance accepts 4m", testSecret, good, body, now.Add(4 * time.Minute), 0, nil},
		{"default tolerance rejects 6m", testSecret, good, body, now.Add(6 * time.Minute), 0, ErrStaleTimestamp},
		{"empty header", testSecret, "", body, now, time.Minute, ErrMalformedSignature},
		{"garbage", testSecret, "garbage", body, now, time.Minute, ErrMalformedSignature},
		{"no timestamp", testSecret, goodV1, body, now, time.Minute, ErrMalformedSignature},
		{"no v1", testSecret, "t=1700000000", body, now, time.Minute, ErrMalformedSignature},
		{"bad timestamp", testSecret, "t=abc," + goodV1, body, now, time.Minute, ErrMalformedSignature},
		{"two timestamps", testSecret, "t=1700000000,t=1700000000," + goodV1, body, now, time.Minute, ErrMalformedSignature},
		{"bad hex", testSecret, "t=1700000000,v1=zz", body, now, time.Minute, ErrMalformedSignature},
		{"short mac", testSecret, "t=1700000000,v1=abcd", body, now, time.Minute, ErrMalformedSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.secret, tc.header, tc.body, tc.now, tc.tol); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if err := Verify(nil, good, body, now, time.Minute); err == nil {
		t.Fatal("Verify with an empty secret succeeded")
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestNewValidation(t *testing.T) {
	bad := []Config{
		{URL: "", Secret: testSecret},
		{URL: "ftp://example.com/hook", Secret: testSecret},
		{URL: "example.com/hook", Secret: testSecret},
		{URL: "https:///hook", Secret: testSecret},
		{URL: "https://example.com/%zz", Secret: testSecret},
		{URL: "https://example.com/hook"},
		{URL: "https://example.com/hook", Secret: testSecret, Queue: -1},
		{URL: "https://example.com/hook", Secret: testSecret, Timeout: -time.Second},
		{URL: "https://example.com/hook", Secret: testSecret, MaxAttempts: -1},
		{URL: "https://example.com/hook", Secret: testSecret, Backoff: -time.Second},
	}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", c)
		}
	}
	s, err := New(Config{URL: "http://127.0.0.1:9/hook", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if cap(s.queue) != DefaultQueue || s.timeout != DefaultTimeout || s.maxAttempts != DefaultMaxAttempts || s.backoff != DefaultBackoff {
		t.Fatalf("defaults not applied: queue %d timeout %v attempts %d backoff %v", cap(s.queue), s.timeout, s.maxAttempts, s.backoff)
	}
	if s.client == nil || s.log == nil || s.now == nil {
		t.Fatal("nil client, logger or clock after New")
	}
}

func TestDeliveryHeadersAndBody(t *testing.T) {
	srv := newServer(t, status(http.StatusNoContent))
	now := time.Unix(1714564800, 0)
	s, done := newSender(t, Config{URL: srv.URL + "/hook", Now: func() time.Time { return now }})
	run(t, s)

	e := event("evt_1", "session.created")
	e.CreatedAt = time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	e.Detail = map[string]string{"device": "d1", "reason": "login"}
	s.Send(e)

	got := srv.next(t)
	if r := awaitResult(t, done); r != (result{"evt_1", true}) {
		t.Fatalf("result = %+v", r)
	}
	if got.method != http.MethodPost {
		t.Errorf("method = %s", got.method)
	}
	for k, want := range map[string]string{
		"Content-Type":       "application/json",
		"User-Agent":         "gatehouse-webhook/1",
		"Gatehouse-Event-Id": "evt_1",
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	sig := got.header.Get("Gatehouse-Signature")
	if !strings.HasPrefix(sig, "t=1714564800,v1=") {
		t.Errorf("signature %q does not carry the sender's clock", sig)
	}
	if err := Verify(testSecret, sig, got.body, now, time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}

	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body %s: %v", got.body, err)
	}
	want := map[string]any{
		"id":         "evt_1",
		"type":       "session.created",
		"user_id":    "u1",
		"session_id": "s1",
		"created_at": "2024-05-01T12:00:00Z",
		"ip":         "192.0.2.1",
		"user_agent": "curl/8",
		"detail":     map[string]any{"device": "d1", "reason": "login"},
	}
	if gotJSON, wantJSON := mustJSON(t, body), mustJSON(t, want); gotJSON != wantJSON {
		t.Errorf("body = %s\nwant   %s", gotJSON, wantJSON)
	}
	if s.Delivered() != 1 || s.Dropped() != 0 {
		t.Errorf("Delivered %d Dropped %d, want 1 0", s.Delivered(), s.Dropped())
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // map keys come out sorted
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSendFillsMissingFieldsAndSnapshots(t *testing.T) {
	var nilSender *Sender
	nilSender.Send(event("x", "t")) // must not panic

	srv := newServer(t, status(http.StatusOK))
	now := time.Date(2024, 6, 1, 8, 30, 0, 5, time.UTC)
	s, done := newSender(t, Config{URL: srv.URL, Now: func() time.Time { return now }})

	detail := map[string]string{"k": "before"}
	s.Send(store.Event{Type: "session.created", Detail: detail})
	detail["k"] = "after" // the queued event must not change
	s.Send(store.Event{Type: "session.revoked"})
	run(t, s)

	first, second := srv.next(t), srv.next(t)
	awaitResult(t, done)
	awaitResult(t, done)

	var b1, b2 payload
	if err := json.Unmarshal(first.body, &b1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(second.body, &b2); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(b1.ID) || b1.ID == b2.ID {
		t.Errorf("generated ids %q %q", b1.ID, b2.ID)
	}
	if h := first.header.Get("Gatehouse-Event-Id"); h != b1.ID {
		t.Errorf("header id %q != body id %q", h, b1.ID)
	}
	if b1.Detail["k"] != "before" {
		t.Errorf("detail = %v, want the value at Send time", b1.Detail)
	}
	if b1.CreatedAt != "2024-06-01T08:30:00.000000005Z" {
		t.Errorf("created_at = %q, want Now()", b1.CreatedAt)
	}
	if !bytes.Contains(second.body, []byte(`"detail":{}`)) {
		t.Errorf("nil detail not sent as {}: %s", second.body)
	}
}

func TestRetryOn500ThenSuccess(t *testing.T) {
	srv := newServer(t, failFirst(1, http.StatusInternalServerError))
	s, done := newSender(t, Config{URL: srv.URL})
	run(t, s)

	s.Send(event("evt_r", "session.created"))
	a, b := srv.next(t), srv.next(t)
	if r := awaitResult(t, done); !r.delivered {
		t.Fatalf("result = %+v", r)
	}
	if a.header.Get("Gatehouse-Event-Id") != "evt_r" || b.header.Get("Gatehouse-Event-Id") != "evt_r" {
		t.Errorf("event ids %q, %q", a.header.Get("Gatehouse-Event-Id"), b.header.Get("Gatehouse-Event-Id"))
	}
	if !bytes.Equal(a.body, b.body) {
		t.Errorf("retry body differs:\n%s\n%s", a.body, b.body)
	}
	for _, c := range []captured{a, b} {
		if err := Verify(testSecret, c.header.Get("Gatehouse-Signature"), c.body, testNow, time.Minute); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("hits = %d, want 2", n)
	}
	if s.Delivered() != 1 || s.Dropped() != 0 {
		t.Errorf("Delivered %d Dropped %d, want 1 0", s.Delivered(), s.Dropped())
	}
}

func TestNoRetryOn400(t *testing.T) {
	srv := newServer(t, status(http.StatusBadRequest))
	s, done := newSender(t, Config{URL: srv.URL})
	run(t, s)

	s.Send(event("evt_400", "session.created"))
	if r := awaitResult(t, done); r != (result{"evt_400", false}) {
		t.Fatalf("result = %+v", r)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("hits = %d, want 1", n)
	}
	if s.Delivered() != 0 || s.Dropped() != 1 {
		t.Errorf("Delivered %d Dropped %d, want 0 1", s.Delivered(), s.Dropped())
	}
}

func TestStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		code  int
		retry bool
	}{
		{http.StatusRequestTimeout, true},
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
		{http.StatusGatewayTimeout, true},
		{http.StatusUnauthorized, false},
		{http.StatusForbidden, false},
		{http.StatusNotFound, false},
		{http.StatusGone, false},
		{http.StatusUnprocessableEntity, false},
		{http.StatusFound, false}, // redirects are not followed
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					if tc.code == http.StatusFound {
						w.Header().Set("Location", "/elsewhere")
					}
					w.WriteHeader(tc.code)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			s, done := newSender(t, Config{URL: srv.URL})
			run(t, s)
			s.Send(event("e", "t"))
			r := awaitResult(t, done)
			if r.delivered != tc.retry {
				t.Fatalf("delivered = %v, want %v", r.delivered, tc.retry)
			}
			wantHits := int64(1)
			if tc.retry {
				wantHits = 2
			}
			if n := srv.hits.Load(); n != wantHits {
				t.Errorf("hits = %d, want %d", n, wantHits)
			}
		})
	}
}

// recordWaits makes the sender's retry timers report the asked delay and
// fire at once, so delays of seconds can be checked instantly.
func recordWaits(s *Sender) <-chan time.Duration {
	ch := make(chan time.Duration, 100)
	s.newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		ch <- d
		return fired(), func() bool { return false }
	}
	return ch
}

func TestRetryAfterHonoured(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		code       int
		retryAfter string
		want       time.Duration // -1: the ordinary backoff
	}{
		{"429 seconds", http.StatusTooManyRequests, "2", 2 * time.Second},
		{"503 seconds", http.StatusServiceUnavailable, "1", time.Second},
		{"429 zero", http.StatusTooManyRequests, "0", 0},
		{"429 capped", http.StatusTooManyRequests, "3600", time.Minute},
		{"429 http date", http.StatusTooManyRequests, now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"429 garbage", http.StatusTooManyRequests, "soon", -1},
		{"500 ignores it", http.StatusInternalServerError, "7", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(tc.code)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			s, done := newSender(t, Config{URL: srv.URL, Backoff: 10 * time.Millisecond, Now: func() time.Time { return now }})
			waits := recordWaits(s)
			run(t, s)
			s.Send(event("e", "t"))
			if r := awaitResult(t, done); !r.delivered {
				t.Fatalf("result = %+v", r)
			}
			d := <-waits
			if tc.want >= 0 && d != tc.want {
				t.Errorf("waited %v, want %v", d, tc.want)
			}
			if tc.want < 0 && (d < 5*time.Millisecond || d > 10*time.Millisecond) {
				t.Errorf("waited %v, want the backoff in [5ms, 10ms]", d)
			}
		})
	}
}

// TestRetryWaitsForTheTimer: after a 429 with Retry-After: 1 the worker
// starts a one-second timer and sends nothing more until it fires (the
// timer is held by the test instead of being slept through).
func TestRetryWaitsForTheTimer(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	s, done := newSender(t, Config{URL: srv.URL})
	timers := holdTimers(s)
	run(t, s)
	s.Send(event("e", "t"))
	srv.next(t)
	h := awaitTimer(t, timers) // the worker is now waiting on h
	if h.d != time.Second {
		t.Fatalf("timer of %v, want 1s (Retry-After), not the 1ms backoff", h.d)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d requests before the timer fired, want 1", n)
	}
	h.fire()
	srv.next(t)
	if r := awaitResult(t, done); !r.delivered {
		t.Fatalf("result = %+v", r)
	}
	if !h.stopped.Load() {
		t.Error("the retry timer was not stopped after use")
	}
}

func TestBackoffDoublesAndAttemptsRunOut(t *testing.T) {
	srv := newServer(t, status(http.StatusInternalServerError))
	s, done := newSender(t, Config{URL: srv.URL, MaxAttempts: 4, Backoff: 8 * time.Second})
	waits := recordWaits(s)
	run(t, s)

	s.Send(event("e", "t"))
	if r := awaitResult(t, done); r.delivered {
		t.Fatalf("result = %+v", r)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Errorf("hits = %d, want 4 (MaxAttempts)", n)
	}
	for i, full := range []time.Duration{8 * time.Second, 16 * time.Second, 32 * time.Second} {
		if d := <-waits; d < full/2 || d > full {
			t.Errorf("wait %d = %v, want in [%v, %v]", i+1, d, full/2, full)
		}
	}
	if len(waits) != 0 {
		t.Errorf("waited after the last attempt")
	}
	if s.Delivered() != 0 || s.Dropped() != 1 {
		t.Errorf("Delivered %d Dropped %d, want 0 1", s.Delivered(), s.Dropped())
	}
}

func TestJitterBounds(t *testing.T) {
	for attempt := 1; attempt <= 12; attempt++ {
		full := min(time.Second<<(attempt-1), MaxBackoff)
		for range 50 {
			if d := jittered(time.Second, attempt); d < full/2 || d > full {
				t.Fatalf("attempt %d: %v not in [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
	if d := jittered(time.Hour, 1); d > MaxBackoff {
		t.Fatalf("jittered(1h) = %v, over the cap", d)
	}
}

// timedAttempt is one delivery attempt whose timeout the test controls.
type timedAttempt struct {
	d      time.Duration
	expire func() // the attempt's deadline passes
}

// controlTimeouts replaces the per-attempt context.WithTimeout: each attempt
// is reported with its timeout and ends only when the test expires it (or
// the attempt returns).
func controlTimeouts(s *Sender) <-chan timedAttempt {
	ch := make(chan timedAttempt, 100)
	s.withTimeout = func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
		actx, cancel := context.WithCancelCause(ctx)
		ch <- timedAttempt{d: d, expire: func() { cancel(context.DeadlineExceeded) }}
		return actx, func() { cancel(context.Canceled) }
	}
	return ch
}

func TestTimeoutAndNetworkErrorsRetried(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1: // hang until the sender's per-attempt timeout gives up
			<-r.Context().Done()
		case 2: // drop the connection without an answer
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	s, done := newSender(t, Config{URL: srv.URL, Timeout: 50 * time.Millisecond})
	attempts := controlTimeouts(s)
	run(t, s)
	s.Send(event("e", "t"))
	first := <-attempts
	if first.d != 50*time.Millisecond {
		t.Fatalf("attempt timeout %v, want the configured 50ms", first.d)
	}
	srv.next(t) // the server holds the first request
	first.expire()
	if r := awaitResult(t, done); !r.delivered {
		t.Fatalf("result = %+v", r)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("hits = %d, want 3", n)
	}
}

func TestQueueFullDropsWithoutBlocking(t *testing.T) {
	srv := newServer(t, status(http.StatusOK))
	s, done := newSender(t, Config{URL: srv.URL, Queue: 2})

	sent := make(chan struct{})
	go func() { // no Run yet: nothing drains the queue
		for i := range 5 {
			s.Send(event("e"+strconv.Itoa(i), "t"))
		}
		close(sent)
	}()
	select {
	case <-sent:
	case <-time.After(waitLimit):
		t.Fatal("Send blocked on a full queue")
	}
	if s.Dropped() != 3 {
		t.Fatalf("Dropped = %d, want 3", s.Dropped())
	}

	run(t, s)
	for _, want := range []string{"e0", "e1"} {
		if r := awaitResult(t, done); r != (result{want, true}) {
			t.Errorf("result = %+v, want %s delivered", r, want)
		}
	}
	if s.Delivered() != 2 || s.Dropped() != 3 {
		t.Errorf("Delivered %d Dropped %d, want 2 3", s.Delivered(), s.Dropped())
	}
}

func TestTypesFilter(t *testing.T) {
	srv := newServer(t, status(http.StatusOK))
	s, done := newSender(t, Config{URL: srv.URL, Types: []string{"session.created", "session.revoked"}})
	s.Send(event("a", "refresh.reused"))
	s.Send(event("b", "session.created"))
	s.Send(event("c", "login.failed"))
	s.Send(event("d", "session.revoked"))
	if n := len(s.queue); n != 2 {
		t.Fatalf("queued %d events, want 2", n)
	}
	run(t, s)
	for _, want := range []string{"b", "d"} {
		if got := srv.next(t).header.Get("Gatehouse-Event-Id"); got != want {
			t.Errorf("delivered %q, want %q", got, want)
		}
		awaitResult(t, done)
	}
	if s.Dropped() != 0 || s.Delivered() != 2 {
		t.Errorf("Delivered %d Dropped %d, want 2 0 (filtered events are not drops)", s.Delivered(), s.Dropped())
	}
}

func TestDeliveryIsOrdered(t *testing.T) {
	srv := newServer(t, failFirst(2, http.StatusBadGateway))
	s, done := newSender(t, Config{URL: srv.URL})
	for i := range 5 {
		s.Send(event("e"+strconv.Itoa(i), "t"))
	}
	run(t, s)
	var got []string
	for range 7 {
		got = append(got, srv.next(t).header.Get("Gatehouse-Event-Id"))
	}
	for range 5 {
		awaitResult(t, done)
	}
	if want := "e0 e0 e0 e1 e2 e3 e4"; strings.Join(got, " ") != want {
		t.Errorf("order = %v, want %s", got, want)
	}
}

func TestRunReturnsPromptlyWhenCancelledMidRetry(t *testing.T) {
	var ok atomic.Bool
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		if ok.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	// A one-minute backoff that never fires: Run must not sit it out.
	s, done := newSender(t, Config{URL: srv.URL, Backoff: time.Minute})
	timers := holdTimers(s)
	stop := run(t, s)
	s.Send(event("evt_c", "session.created"))
	first := srv.next(t)
	awaitTimer(t, timers) // the worker is waiting to retry

	start := time.Now()
	stop()
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Run took %v to return", el)
	}
	if s.Delivered() != 0 || s.Dropped() != 0 {
		t.Errorf("Delivered %d Dropped %d, want 0 0: an interrupted event is neither", s.Delivered(), s.Dropped())
	}

	// The next Run resumes with the interrupted event, same id and body.
	ok.Store(true)
	run(t, s)
	again := srv.next(t)
	if r := awaitResult(t, done); r != (result{"evt_c", true}) {
		t.Fatalf("result = %+v", r)
	}
	if again.header.Get("Gatehouse-Event-Id") != "evt_c" || !bytes.Equal(first.body, again.body) {
		t.Errorf("resumed event differs: %q %s", again.header.Get("Gatehouse-Event-Id"), again.body)
	}
}

func TestRunReturnsPromptlyWhenCancelledMidAttempt(t *testing.T) {
	srv := newServer(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	s, _ := newSender(t, Config{URL: srv.URL, Timeout: time.Minute})
	stop := run(t, s)
	s.Send(event("e", "t"))
	srv.next(t)
	start := time.Now()
	stop()
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Run took %v to return", el)
	}
}

func TestConcurrentRunReturnsAtOnce(t *testing.T) {
	srv := newServer(t, status(http.StatusOK))
	s, done := newSender(t, Config{URL: srv.URL})
	run(t, s)
	s.Send(event("e", "t"))
	awaitResult(t, done) // the first Run is working

	returned := make(chan struct{})
	go func() {
		s.Run(context.Background())
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(waitLimit):
		t.Fatal("second Run did not return")
	}
}

// syncBuffer is a bytes.Buffer safe for the worker and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsOmitSecretsAndBodies(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case 2:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	})
	var logs syncBuffer
	secret := []byte("super-secret-hmac-key")
	s, done := newSender(t, Config{
		URL:    srv.URL + "/hook?token=url-credential",
		Secret: secret,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	stop := run(t, s)
	e := event("evt_log", "session.created")
	e.Detail = map[string]string{"note": "body-marker"}
	s.Send(e)
	awaitResult(t, done)
	stop()

	out := logs.String()
	for _, secretish := range []string{string(secret), "body-marker", "url-credential", "192.0.2.1"} {
		if strings.Contains(out, secretish) {
			t.Errorf("log contains %q:\n%s", secretish, out)
		}
	}
	for _, want := range []string{"event_id=evt_log", "type=session.created", "status=500", "status=403", "attempt=3"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
