package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// BenchmarkVerify is GET /v1/verify in-process, through the whole handler
// (router, middleware, metrics) with one EdDSA bearer token: Cached with the
// verified-token cache (a hit per request), Fresh with it off
// (--verify-cache-size -1), so the signature is checked every time. The
// writer only keeps the header map, as net/http's would be, so allocs/op is
// what the handler itself allocates.
func BenchmarkVerifyCached(b *testing.B) { benchVerify(b, 0) }
func BenchmarkVerifyFresh(b *testing.B)  { benchVerify(b, -1) }

func benchVerify(b *testing.B, cacheSize int) {
	c := testenv.Config(b)
	c.AdminToken = adminToken
	c.Issuer = "http://gatehouse.test"
	c.VerifyCacheSize = cacheSize
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	h := a.Handler()
	creds := `{"username":"bench","password":"correct horse battery"}`
	for _, path := range []string{"/v1/signup", "/v1/login"} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest("POST", path, strings.NewReader(creds))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, req)
		if w.Code/100 != 2 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		if path == "/v1/login" {
			var p struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				b.Fatal(err)
			}
			creds = p.AccessToken
		}
	}
	req := httptest.NewRequest("GET", "/v1/verify", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Authorization", "Bearer "+creds)
	w := &headerWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// headerWriter is the least a ResponseWriter must be: it keeps the header
// map and the status and discards the body.
type headerWriter struct {
	h    http.Header
	code int
}

func (w *headerWriter) Header() http.Header { return w.h }
func (w *headerWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *headerWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
