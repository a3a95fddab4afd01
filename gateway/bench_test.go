package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// BenchmarkGatewayOverhead compares a request straight to the upstream
// with the same request through the gateway with a session cookie (the
// minted token cached): the difference is the gateway's cost per request.
func BenchmarkGatewayOverhead(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	b.Cleanup(up.Close)
	e := start(b, []config.Route{route("/app/", up.URL+"/")}, nil)
	e.user("bench")
	cookie, _ := e.browser("bench")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, url string, hdr ...string) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			get(b, up.URL+"/x")
		}
	})
	b.Run("gateway", func(b *testing.B) {
		for b.Loop() {
			get(b, e.url+"/app/x", "Cookie", cookie)
		}
	})
}
