package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// storeUpGauge reads gatehouse_store_up from a's registry, as a scrape would.
func storeUpGauge(t *testing.T, a *App) float64 {
	t.Helper()
	mfs, err := a.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gatehouse_store_up" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("gatehouse_store_up is not registered")
	return -1
}

// TestReadyzAndGaugeFollowTheBackgroundPing: /readyz and gatehouse_store_up
// report the last ping, not a ping of their own; once a ping fails, /readyz
// answers 503 with the reason and the gauge is 0.
func TestReadyzAndGaugeFollowTheBackgroundPing(t *testing.T) {
	a, err := Open(context.Background(), testenv.Config(t), quietLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	if err := a.CheckStore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, srv.URL+"/readyz", ""); code != 200 || storeUpGauge(t, a) != 1 {
		t.Fatalf("store up: readyz %d, gauge %v; want 200, 1", code, storeUpGauge(t, a))
	}
	a.Store.Close()
	if code, _ := get(t, srv.URL+"/readyz", ""); code != 200 {
		t.Fatalf("readyz pinged the store itself (%d): it must read the background ping", code)
	}
	if err := a.CheckStore(t.Context()); err == nil {
		t.Fatal("CheckStore on a closed store: nil error")
	}
	code, body := get(t, srv.URL+"/readyz", "")
	if code != 503 || body["error"] != "unavailable" || !strings.Contains(body["message"], "store") {
		t.Fatalf("readyz with the store down: %d %v; want 503 unavailable with the reason", code, body)
	}
	if g := storeUpGauge(t, a); g != 0 {
		t.Fatalf("gatehouse_store_up = %v with the store down, want 0", g)
	}
}

// get sends a GET with an optional bearer token and decodes a JSON object
// body (strings only).
func get(t *testing.T, url, bearer string) (int, map[string]string) {
	t.Helper()
	res := do(t, "GET", url, nil, func(r *http.Request) {
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
	})
	return res.StatusCode, jsonBody(res)
}

func do(t *testing.T, method, url string, body any, edit func(*http.Request)) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res
}

// jsonBody decodes the string fields of a JSON object body.
func jsonBody(res *http.Response) map[string]string {
	var raw map[string]any
	json.NewDecoder(res.Body).Decode(&raw)
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

var _ = time.Second
