package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/revoke"
	"github.com/gatehouse/gatehouse/store"
)

// The revocation feed's defaults. The heartbeat keeps idle proxies from
// closing the stream and lets a subscriber tell a quiet feed from a dead
// one; the write window is how long one write may take before the
// connection is given up (the server's WriteTimeout is replaced per write,
// or it would cut every stream after 30 s); the buffer is how many events
// a subscriber may have in flight before it is resumed from the store.
const (
	feedHeartbeat   = 15 * time.Second
	feedWriteWindow = 30 * time.Second
	feedBuffer      = 256
)

// feedEvent is one revocation as the feed sends it: a session (sid), or
// every token of a user issued before not_before (sub with not_before).
// sub accompanies sid for information only; an event without not_before
// never revokes a whole user.
type feedEvent struct {
	SID       string     `json:"sid,omitempty"`
	Sub       string     `json:"sub,omitempty"`
	NotBefore *time.Time `json:"not_before,omitempty"`
	Until     time.Time  `json:"until"`
}

func toFeedEvent(r store.Revocation) feedEvent {
	e := feedEvent{SID: r.SessionID, Sub: r.UserID, Until: r.Until.UTC()}
	if r.SessionID == "" && !r.NotBefore.IsZero() {
		nb := r.NotBefore.UTC()
		e.NotBefore = &nb
	}
	return e
}

// revocations is GET /v1/revocations: Server-Sent Events of the ordered
// revocation log. Every subscriber follows the node's revoke.Set, which
// the one sync loop feeds, so a thousand subscribers cost one log reader;
// the store is read only to replay what a subscriber has not seen (on
// connect, and when it lags behind its buffer and is resumed).
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) error {
	if err := s.feedAuth(r); err != nil {
		return err
	}
	after := lastEventID(r)
	if after > s.svc.Revoked.Cursor() {
		// An id this node has not read: another node ahead of it, or a
		// store restored from a backup. Either way it cannot vouch for
		// what came before, so replay everything in force (events are
		// idempotent; a duplicate costs nothing, a gap a missed logout).
		after = 0
	}
	backlog, sub, err := s.svc.Revoked.Resume(r.Context(), s.svc.Store, s.svc.Now(), after, s.feedBufferSize())
	if err != nil {
		return fmt.Errorf("%w: reading the revocation log: %v", authn.ErrUnavailable, err)
	}
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// A retry hint and an immediate flush: the subscriber knows at once
	// that it is connected, even when there is nothing to replay.
	if err := s.feedWrite(w, rc, "retry: 1000\n\n"); err != nil {
		return nil
	}
	last := after
	send := func(rs []store.Revocation) error {
		for _, rv := range rs {
			b, _ := json.Marshal(toFeedEvent(rv))
			if err := s.feedWrite(w, rc, "id: "+strconv.FormatInt(rv.ID, 10)+"\ndata: "+string(b)+"\n\n"); err != nil {
				return err
			}
			last = rv.ID
		}
		return nil
	}
	// ": live" marks the end of the replay: a follower (package verifier)
	// knows it is current from here on. EventSource ignores comments.
	if send(backlog) != nil || s.feedWrite(w, rc, ": live\n\n") != nil {
		return nil
	}
	beat := time.NewTicker(s.feedHeartbeatEvery())
	defer beat.Stop()
	stop := shutdownSignal(r)
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-stop:
			return nil // the server shuts down: the subscriber reconnects elsewhere
		case <-beat.C:
			if s.feedWrite(w, rc, ": heartbeat\n\n") != nil {
				return nil
			}
		case rv, ok := <-sub.C():
			if ok {
				if send([]store.Revocation{rv}) != nil {
					return nil
				}
				continue
			}
			if !errors.Is(sub.Err(), revoke.ErrLagged) {
				return nil
			}
			// Fell behind its buffer: resume from the last id sent, so the
			// subscriber sees nothing twice and misses nothing.
			sub.Close()
			s.feedResumes.Add(1)
			backlog, sub, err = s.svc.Revoked.Resume(r.Context(), s.svc.Store, s.svc.Now(), last, s.feedBufferSize())
			if err != nil {
				s.log.Warn("revocation feed: resume failed; closing the stream", "request_id", requestID(r.Context()), "err", err)
				return nil
			}
			if send(backlog) != nil {
				return nil
			}
		}
	}
}

// feedStops maps each *http.Server serving the feed to a channel closed
// when it shuts down. http.Server.Shutdown waits for active connections to
// go idle, which a stream never does: without this, every subscriber would
// hold a graceful shutdown until its timeout.
var feedStops sync.Map // *http.Server → chan struct{}

// shutdownSignal is closed when the server serving r shuts down (nil, never
// closed, outside an http.Server). One hook per server, however many
// streams it serves.
func shutdownSignal(r *http.Request) <-chan struct{} {
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	ch, loaded := feedStops.LoadOrStore(hs, make(chan struct{}))
	if !loaded {
		hs.RegisterOnShutdown(func() { close(ch.(chan struct{})) })
	}
	return ch.(chan struct{})
}

// feedWrite writes one SSE block and flushes it, first extending the write
// deadline so the server's WriteTimeout never cuts a live stream.
func (s *Server) feedWrite(w http.ResponseWriter, rc *http.ResponseController, block string) error {
	_ = rc.SetWriteDeadline(time.Now().Add(feedWriteWindow)) // unsupported: no deadline to extend
	if _, err := w.Write([]byte(block)); err != nil {
		return err
	}
	return rc.Flush()
}

// lastEventID is the id after which to resume: the Last-Event-ID header, or
// 0 (replay everything in force) when it is absent or not a revocation id
// this server could have sent. The log keeps every revocation still in
// force, so "after N" is exact for any N: an id older than the oldest kept
// entry simply replays everything in force.
func lastEventID(r *http.Request) int64 {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// errWrongFeedToken is a bearer token that is neither the feed token nor
// the admin token.
var errWrongFeedToken = &Error{
	Status: http.StatusUnauthorized, Code: "invalid_token", Msg: "the feed token is missing or wrong",
	Header: http.Header{"Www-Authenticate": {challengeInvalid}},
}

// feedAuth accepts the admin token or --feed-token, compared in constant
// time over hashes (so neither the tokens nor their lengths leak), behind
// the admin API's brute-force guard.
func (s *Server) feedAuth(r *http.Request) error {
	if s.opt.AdminToken == "" && s.opt.FeedToken == "" {
		return errorf(http.StatusForbidden, "forbidden", "the revocation feed is disabled: set --feed-token or GATEHOUSE_ADMIN_TOKEN")
	}
	tok, err := bearer(r)
	if err != nil {
		return err
	}
	ip := s.clientIP(r)
	if err := s.svc.Admin().Blocked(ip); err != nil {
		return err
	}
	got := sha256.Sum256([]byte(tok))
	ok := 0
	for _, want := range []string{s.opt.AdminToken, s.opt.FeedToken} {
		h := sha256.Sum256([]byte(want))
		ok |= subtle.ConstantTimeCompare(got[:], h[:]) & boolInt(want != "")
	}
	if ok != 1 {
		if err := s.svc.Admin().Failed(r.Context(), ip); err != nil {
			return err
		}
		return errWrongFeedToken
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) feedHeartbeatEvery() time.Duration {
	if s.feedBeat > 0 {
		return s.feedBeat
	}
	return feedHeartbeat
}

func (s *Server) feedBufferSize() int {
	if s.feedBuf > 0 {
		return s.feedBuf
	}
	return feedBuffer
}
