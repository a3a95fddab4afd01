package gateway

import (
	"net/http"
	"strings"
	"time"
)

// The server's ReadTimeout and WriteTimeout (30 s, app.Serve) bound whole
// requests and answers; a WebSocket, a Server-Sent Events stream or a long
// upload must outlive them. The gateway moves the deadlines per request
// with http.ResponseController (errors are ignored: a writer that cannot
// move them, such as a test recorder, has none).

// allowStreaming runs before the request is forwarded: the write deadline
// becomes the route's timeout plus a grace for the answer, so a route
// slower than the server's WriteTimeout still gets its 504 or its answer; an
// Upgrade or a body of unknown length (a streamed upload) may be read for
// as long as it lasts.
func allowStreaming(w http.ResponseWriter, r *http.Request, rt *route) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(rt.timeout + 30*time.Second))
	if r.Header.Get("Upgrade") != "" || r.ContentLength < 0 {
		_ = rc.SetReadDeadline(time.Time{})
	}
}

// unlimited clears both deadlines once an answer turns out to be a stream.
// For a 101 it runs before ReverseProxy hijacks the connection; net/http
// clears a hijacked connection's deadlines itself (TestGatewayWebSocket
// holds either way), so that case costs nothing.
func unlimited(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
}

// streaming reports an answer without a known end: a protocol switch, an
// event stream, or a body of unknown length.
func streaming(resp *http.Response) bool {
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.ContentLength < 0 {
		return true
	}
	ct := resp.Header.Get("Content-Type")
	return strings.HasPrefix(strings.ToLower(ct), "text/event-stream")
}
