package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// TestGatewayUpstreamFailures: a dead upstream is 502 bad_gateway, one
// slower than the route's timeout 504 gateway_timeout, both JSON.
func TestGatewayUpstreamFailures(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	e := start(t, []config.Route{
		route("/dead/", deadURL+"/"),
		{Prefix: "/slow/", URL: slow.URL + "/", Timeout: 100 * time.Millisecond},
	}, nil)
	_, tok := e.user("fay")
	r := e.do("GET", "/dead/x", nil, bearer(tok)...)
	expect(t, r, 502, "bad_gateway")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	expect(t, e.do("GET", "/slow/x", nil, bearer(tok)...), 504, "gateway_timeout")
}

// TestGatewayWebSocket: an Upgrade passes through, and the connection
// outlives the server's read and write timeouts.
func TestGatewayWebSocket(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("X-Auth-Username") != "gus" {
			http.Error(w, "want an authenticated upgrade", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			brw.Flush()
		}
	}))
	t.Cleanup(echo.Close)
	const serverTimeout = 150 * time.Millisecond
	e := start(t, []config.Route{route("/ws/", echo.URL+"/")}, func(s *http.Server) {
		s.ReadTimeout, s.WriteTimeout = serverTimeout, serverTimeout
	})
	_, tok := e.user("gus")
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /ws/chat HTTP/1.1\r\nHost: gh.test\r\nAuthorization: Bearer %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", tok)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	for i := range 3 {
		// Real time must pass here: the point is the server's deadlines.
		<-time.After(serverTimeout)
		fmt.Fprintf(c, "ping %d\n", i)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("echo ping %d\n", i) {
			t.Fatalf("after %v: %q, %v", time.Duration(i+1)*serverTimeout, line, err)
		}
	}
}

// TestGatewayStreamsBody: an event stream longer than the server's write
// timeout is delivered whole, flushed as it comes.
func TestGatewayStreamsBody(t *testing.T) {
	t.Parallel()
	const serverTimeout = 150 * time.Millisecond
	sse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			<-time.After(serverTimeout)
		}
	}))
	t.Cleanup(sse.Close)
	e := start(t, []config.Route{route("/events/", sse.URL+"/")}, func(s *http.Server) { s.WriteTimeout = serverTimeout })
	_, tok := e.user("hal")
	r := e.do("GET", "/events/x", nil, bearer(tok)...)
	if r.status != 200 || string(r.body) != "data: 0\n\ndata: 1\n\ndata: 2\n\n" {
		t.Fatalf("status %d body %q", r.status, r.body)
	}
}
