package httpapi_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/openapi"
)

// checkedHandler passes every request to h and, when the test ends, holds
// each answer to the OpenAPI document (openapi/openapi.yaml): so every
// answer of this package's end-to-end tests — the error cases included —
// is one the document describes. CORS preflights (OPTIONS, answered for
// every path) are outside the document.
func checkedHandler(t *testing.T, h http.Handler) http.Handler {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bad []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, b := range bad {
			t.Errorf("answer does not match openapi/openapi.yaml: %s", b)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tee := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(tee, r)
		if r.Method == http.MethodOptions {
			return
		}
		if err := spec.CheckResponse(r.Method, r.URL.Path, tee.status, w.Header(), tee.body.Bytes()); err != nil {
			mu.Lock()
			bad = append(bad, err.Error()+"\n\tbody: "+string(bytes.TrimSpace(tee.body.Bytes())))
			mu.Unlock()
		}
	})
}

// teeWriter keeps a copy of the answer and passes everything through
// (flushes included, so streamed answers still stream).
type teeWriter struct {
	http.ResponseWriter
	status  int
	written bool
	body    bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if !w.written {
		w.status, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.written = true
	if w.body.Len() < 1<<20 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
