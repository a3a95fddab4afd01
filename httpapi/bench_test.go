package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify is GET /v1/verify in-process, through the whole handler
// (router, middleware, metrics) with one EdDSA bearer token: Cached with the
// verified-token cache (a hit per request), Fresh with it off
// (--verify-cache-size -1), so the signature is checked every time. The
// writer only keeps the header map, as net/http's would be, so allocs/op is
// what the handler itself allocates.
func BenchmarkVerifyCached(b *testing.B) { benchVerify(b, 0, false) }
func BenchmarkVerifyFresh(b *testing.B)  { benchVerify(b, -1, false) }

// BenchmarkVerifyBareJWT is the same token through loadgen refserver's
// handler instead (golang-jwt's ParseWithClaims with the node's published
// Ed25519 key, X-Auth-User-Id, an empty 200: no revocation check, no
// metrics, no router), the in-process reference for BenchmarkVerifyFresh.
func BenchmarkVerifyBareJWT(b *testing.B) { benchVerify(b, -1, true) }

func benchVerify(b *testing.B, cacheSize int, bare bool) {
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
	if bare {
		h = bareJWT(b, a.Keys.Ring().JWKS())
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

// bareJWT is loadgen refserver's handler on the keys of a JWKS.
func bareJWT(b *testing.B, jwks []byte) http.Handler {
	var set struct{ Keys []struct{ Kid, X string } }
	if err := json.Unmarshal(jwks, &set); err != nil {
		b.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil {
			b.Fatal(err)
		}
		keys[k.Kid] = x
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var claims jwt.RegisteredClaims
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if _, err := parser.ParseWithClaims(tok, &claims, keyfunc); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-User-Id", claims.Subject)
		w.WriteHeader(http.StatusOK)
	})
}
