package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/dpop"
)

// BenchmarkVerifyBearer and BenchmarkVerifyDPoP measure GET /v1/verify in
// process (the handler, no network) with the same node, user and cached
// token: as a bearer token, and DPoP-bound with a fresh proof per request
// (signed before the timer starts: signing is the client's cost). The
// difference is the proof check: parse, one signature, the in-memory
// replay cache (SQLite node: no store round trip).
func BenchmarkVerifyBearer(b *testing.B) { benchVerifyDPoP(b, "") }

func BenchmarkVerifyDPoPEdDSA(b *testing.B) { benchVerifyDPoP(b, "EdDSA") }

func BenchmarkVerifyDPoPES256(b *testing.B) { benchVerifyDPoP(b, "ES256") }

func benchVerifyDPoP(b *testing.B, alg string) {
	c := testConfig(&testing.T{})
	c.DataDir = b.TempDir()
	c.MasterKeyFile = ""
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	ctx := context.Background()
	if _, err := a.Service.CreateUser(ctx, "bench", "correct horse battery", nil); err != nil {
		b.Fatal(err)
	}
	in := authn.LoginInput{Username: "bench", Password: "correct horse battery"}
	var key *dpop.Signer
	if alg != "" {
		if key, err = dpop.GenerateSigner(alg); err != nil {
			b.Fatal(err)
		}
		in.JKT = key.JKT()
	}
	pair, err := a.Service.Login(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler()
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		r := httptest.NewRequest("GET", "/v1/verify", nil)
		if key == nil {
			r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		} else {
			p, err := key.Sign("GET", issuer+"/v1/verify", dpop.AccessTokenHash(pair.AccessToken), "")
			if err != nil {
				b.Fatal(err)
			}
			r.Header.Set("Authorization", "DPoP "+pair.AccessToken)
			r.Header.Set("DPoP", p)
		}
		reqs[i] = r
	}
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, reqs[0].Clone(ctx)) // fills the verified-token cache (a bearer request) or spends proof 0
	if key != nil && warm.Code != http.StatusOK {
		b.Fatalf("warm-up: %d %s", warm.Code, warm.Body)
	}
	start := 0
	if key != nil {
		start = 1
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := start; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, reqs[i])
		if w.Code != http.StatusOK {
			b.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time in ns. On a shared,
// loaded machine wall-clock ns/op mostly measures waiting for a core;
// CPU time per operation is what the code costs.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
