package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultQueue       = 1024
	DefaultTimeout     = 5 * time.Second
	DefaultMaxAttempts = 6
	DefaultBackoff     = time.Second
	// MaxBackoff caps the delay between two attempts, whether it comes from
	// the doubling backoff or from a Retry-After header.
	MaxBackoff = time.Minute
)

// Header names and the User-Agent of delivery requests.
const (
	SignatureHeader = "Gatehouse-Signature"
	EventIDHeader   = "Gatehouse-Event-Id"
	UserAgent       = "gatehouse-webhook/1"
)

// maxDrain bounds how much of a response body is read (and discarded) so the
// connection can be reused; a receiver cannot make the worker read forever.
const maxDrain = 64 << 10

// Config configures a Sender. Zero values take the documented defaults.
type Config struct {
	URL         string        // http(s) endpoint
	Secret      []byte        // HMAC key; required
	Types       []string      // event types to send (exact match); empty = all
	Queue       int           // buffered events (default 1024); when full, new events are dropped and counted
	Timeout     time.Duration // per attempt (default 5s)
	MaxAttempts int           // attempts per event, first one included (default 6)
	Backoff     time.Duration // first retry delay (default 1s), doubling, with jitter, capped at 1 minute
	// Client is used for delivery. If nil, a client that does not follow
	// redirects is used. The per-attempt Timeout applies either way.
	Client *http.Client
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
}

// Sender queues events and delivers them to one endpoint.
//
// Delivery is ordered and done by a single worker (Run): while an event is
// being retried, the events queued after it wait. A slow or failing endpoint
// therefore delays later events by up to MaxAttempts attempts (each bounded
// by Timeout) plus the backoff between them; once the queue is full, new
// events are dropped rather than slowing the caller.
type Sender struct {
	url         string
	secret      []byte
	types       map[string]bool
	queue       chan item
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time

	queueDropped atomic.Uint64 // queue full
	failDropped  atomic.Uint64 // permanent failure or attempts exhausted
	delivered    atomic.Uint64

	running atomic.Bool
	// Owned by the running worker (handed over through running).
	pending        *item  // event in progress when Run last returned
	reportedQueued uint64 // queueDropped value last logged

	// The clock of the worker, replaced by tests so that no test sleeps:
	// newTimer starts the delay before a retry (time.NewTimer), withTimeout
	// bounds one attempt (context.WithTimeout).
	newTimer    func(d time.Duration) (c <-chan time.Time, stop func() bool)
	withTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// finished, if set, is told each event's final fate (test hook).
	finished func(eventID string, delivered bool)
}

// item is one queued event, already encoded so that every attempt sends the
// same bytes and later changes to the caller's Event are not seen.
type item struct {
	id   string
	typ  string
	body []byte
}

// payload is the JSON body of a delivery.
type payload struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	UserID    string            `json:"user_id"`
	SessionID string            `json:"session_id"`
	CreatedAt string            `json:"created_at"`
	IP        string            `json:"ip"`
	UserAgent string            `json:"user_agent"`
	Detail    map[string]string `json:"detail"`
}

// New validates c and returns a Sender. Nothing is delivered until Run is
// called.
func New(c Config) (*Sender, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, errors.New("webhook: invalid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webhook: URL scheme must be http or https, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("webhook: URL has no host")
	}
	if len(c.Secret) == 0 {
		return nil, errors.New("webhook: secret is required")
	}
	if c.Queue < 0 || c.Timeout < 0 || c.MaxAttempts < 0 || c.Backoff < 0 {
		return nil, errors.New("webhook: Queue, Timeout, MaxAttempts and Backoff must not be negative")
	}
	s := &Sender{
		url:         u.String(),
		secret:      bytes.Clone(c.Secret),
		queue:       make(chan item, orDefault(c.Queue, DefaultQueue)),
		timeout:     orDefault(c.Timeout, DefaultTimeout),
		maxAttempts: orDefault(c.MaxAttempts, DefaultMaxAttempts),
		backoff:     min(orDefault(c.Backoff, DefaultBackoff), MaxBackoff),
		client:      c.Client,
		log:         c.Logger,
		now:         c.Now,
		newTimer:    realTimer,
		withTimeout: context.WithTimeout,
	}
	if len(c.Types) > 0 {
		s.types = make(map[string]bool, len(c.Types))
		for _, t := range c.Types {
			s.types[t] = true
		}
	}
	if s.client == nil {
		s.client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Send queues e for delivery unless its type is filtered out. It never
// blocks and never panics: if the queue is full the event is dropped and
// counted in Dropped. An event without an ID is given a random one; an event
// without CreatedAt is stamped with the current time. The event is encoded
// before Send returns, so the caller may reuse e.Detail.
func (s *Sender) Send(e store.Event) {
	if s == nil || (s.types != nil && !s.types[e.Type]) {
		return
	}
	if e.ID == "" {
		e.ID = randomID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	detail := e.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	body, err := json.Marshal(payload{
		ID:        e.ID,
		Type:      e.Type,
		UserID:    e.UserID,
		SessionID: e.SessionID,
		CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339Nano),
		IP:        e.IP,
		UserAgent: e.UserAgent,
		Detail:    detail,
	})
	if err != nil { // cannot happen for strings; count it rather than lose it silently
		s.failDropped.Add(1)
		return
	}
	select {
	case s.queue <- item{id: e.ID, typ: e.Type, body: body}:
	default:
		s.queueDropped.Add(1)
	}
}

// Dropped reports how many events were given up: because the queue was
// full, because the endpoint answered with a permanent failure, or because
// every attempt failed.
func (s *Sender) Dropped() uint64 { return s.queueDropped.Load() + s.failDropped.Load() }

// Delivered reports how many events the endpoint acknowledged with a 2xx.
func (s *Sender) Delivered() uint64 { return s.delivered.Load() }

// Run delivers queued events, one at a time and in order, until ctx is done.
// When ctx is done it abandons the attempt in flight and any pending retry
// and returns promptly; the interrupted event is kept and is the first one a
// later Run sends (with the same id and body). Events still queued stay
// queued. Only one Run works at a time: a call made while another is running
// logs an error and returns at once.
func (s *Sender) Run(ctx context.Context) {
	if !s.running.CompareAndSwap(false, true) {
		s.log.Error("webhook: Run called while already running")
		return
	}
	defer s.running.Store(false)
	for ctx.Err() == nil {
		if s.pending == nil {
			select {
			case <-ctx.Done():
				return
			case it := <-s.queue:
				s.pending = &it
			}
		}
		if !s.deliver(ctx, s.pending) {
			return
		}
		s.pending = nil
		s.reportQueueDrops()
	}
}

// reportQueueDrops logs queue-full drops from the worker, so Send never
// spends time logging.
func (s *Sender) reportQueueDrops() {
	n := s.queueDropped.Load()
	if n != s.reportedQueued {
		s.log.Warn("webhook: queue full, events dropped", "dropped", n-s.reportedQueued, "dropped_total", n)
		s.reportedQueued = n
	}
}

// outcome classifies one attempt.
type outcome int

const (
	success outcome = iota
	permanent
	retryable
)

// classify maps a response status to an outcome: 2xx is success; 5xx, 408
// and 429 are worth retrying; anything else (4xx, and 3xx since redirects are
// not followed) is permanent.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return success
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return retryable
	default:
		return permanent
	}
}

// deliver makes up to maxAttempts attempts at it. It reports false if ctx
// ended first, in which case the event's fate is undecided and nothing is
// counted.
func (s *Sender) deliver(ctx context.Context, it *item) bool {
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := s.attempt(ctx, it)
		res := retryable
		if err == nil {
			res = classify(status)
		}
		if res != success && ctx.Err() != nil {
			s.log.Info("webhook: stopped, delivery interrupted", "event_id", it.id, "type", it.typ, "attempt", attempt)
			return false
		}
		switch {
		case res == success:
			s.delivered.Add(1)
			s.log.Debug("webhook: delivered", "event_id", it.id, "type", it.typ, "status", status, "attempt", attempt)
			s.finish(it, true)
			return true
		case res == permanent:
			s.failDropped.Add(1)
			s.log.Error("webhook: rejected, not retrying", "event_id", it.id, "type", it.typ, "status", status, "attempt", attempt)
			s.finish(it, false)
			return true
		case attempt >= s.maxAttempts:
			s.failDropped.Add(1)
			s.log.Error("webhook: giving up", attemptAttrs(it, status, attempt, err)...)
			s.finish(it, false)
			return true
		}
		d := retryAfter
		if d < 0 {
			d = jittered(s.backoff, attempt)
		}
		s.log.Warn("webhook: attempt failed, retrying", append(attemptAttrs(it, status, attempt, err), "retry_in", d)...)
		if s.wait(ctx, d) != nil {
			s.log.Info("webhook: stopped, delivery interrupted", "event_id", it.id, "type", it.typ, "attempt", attempt)
			return false
		}
	}
}

// attemptAttrs are the log attributes of a failed attempt: the event id and
// type, the status if there was a response, the attempt number and the
// transport error if there was one. Never the body or the secret.
func attemptAttrs(it *item, status, attempt int, err error) []any {
	a := []any{"event_id", it.id, "type", it.typ}
	if status != 0 {
		a = append(a, "status", status)
	}
	a = append(a, "attempt", attempt)
	if err != nil {
		a = append(a, "error", errText(err))
	}
	return a
}

func (s *Sender) finish(it *item, delivered bool) {
	if s.finished != nil {
		s.finished(it.id, delivered)
	}
}

// attempt makes one request. retryAfter is the delay asked for by a 429 or
// 503 Retry-After header, capped at MaxBackoff, or -1 if there is none.
func (s *Sender) attempt(ctx context.Context, it *item) (status int, retryAfter time.Duration, err error) {
	actx, cancel := s.withTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, s.url, bytes.NewReader(it.body))
	if err != nil {
		return 0, -1, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(EventIDHeader, it.id)
	req.Header.Set(SignatureHeader, Sign(s.secret, s.now().Unix(), it.body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, -1, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	retryAfter = -1
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return resp.StatusCode, retryAfter, nil
}

// parseRetryAfter reads a Retry-After value (delay in seconds, or an HTTP
// date), capped at MaxBackoff; -1 if absent or malformed.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return -1
		}
		if n > int64(MaxBackoff/time.Second) {
			return MaxBackoff
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxBackoff)
	}
	return -1
}

// jittered is the delay after the given failed attempt (1-based): base
// doubled attempt-1 times, capped at MaxBackoff, then drawn uniformly from
// its upper half so that senders do not retry in lockstep.
func jittered(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + mrand.N(d-half+1)
}

// errText describes a transport error without the request URL, which may
// carry a credential in its query string.
func errText(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return err.Error()
}

// wait blocks for d, or until ctx is done (then it returns ctx.Err()).
func (s *Sender) wait(ctx context.Context, d time.Duration) error {
	c, stop := s.newTimer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c:
		return nil
	}
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
