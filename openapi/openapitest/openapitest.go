// Package openapitest holds the HTTP traffic of end-to-end tests to the
// OpenAPI document (docs/openapi.yaml): Handler wraps a server's
// handler, records every exchange, and when the test ends checks each one
// with package openapi's checker and with pb33f's libopenapi-validator (a
// full JSON Schema implementation), the request too when the server
// accepted it. Only tests import it, so the server does not link the
// validator.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/openapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// The validator is built once (it compiles every schema) and used under a
// lock: it is not documented as safe for concurrent use.
var lib struct {
	once sync.Once
	mu   sync.Mutex
	v    validator.Validator
	spec *openapi.Spec
	err  error
}

func load() (validator.Validator, *openapi.Spec, error) {
	lib.once.Do(func() {
		if lib.spec, lib.err = openapi.Load(); lib.err != nil {
			return
		}
		doc, err := libopenapi.NewDocument(openapi.YAML)
		if err != nil {
			lib.err = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			lib.err = errs[0]
			return
		}
		lib.v = v
	})
	return lib.v, lib.spec, lib.err
}

// ValidateDocument checks the document against the OpenAPI 3.1
// meta-schema.
func ValidateDocument() error {
	v, _, err := load()
	if err != nil {
		return err
	}
	lib.mu.Lock()
	defer lib.mu.Unlock()
	if ok, errs := v.ValidateDocument(); !ok {
		return fmt.Errorf("openapi.yaml is not valid OpenAPI 3.1:%s", describe(errs))
	}
	return nil
}

// Exchange is one request and the server's answer.
type Exchange struct {
	Method, Path, RawQuery string
	ReqHeader              http.Header
	ReqBody                []byte
	Status                 int
	Header                 http.Header
	Body                   []byte
}

// Check holds one exchange to the document with both checkers. A request
// the server refused (4xx) is not itself checked: tests send malformed
// ones on purpose. A route the document does not know (404, 405) is
// checked by package openapi's checker alone, against the Error schema.
func Check(x Exchange) error {
	v, spec, err := load()
	if err != nil {
		return err
	}
	if err := spec.CheckResponse(x.Method, x.Path, x.Status, x.Header, x.Body); err != nil {
		return err
	}
	if x.Status == http.StatusNotFound || x.Status == http.StatusMethodNotAllowed {
		return nil
	}
	u := "http://gatehouse.test" + x.Path
	if x.RawQuery != "" {
		u += "?" + x.RawQuery
	}
	req, err := http.NewRequest(x.Method, u, bytes.NewReader(x.ReqBody))
	if err != nil {
		return err
	}
	req.Header = x.ReqHeader.Clone()
	res := &http.Response{StatusCode: x.Status, Header: x.Header.Clone(), Body: io.NopCloser(bytes.NewReader(x.Body)), Request: req}
	lib.mu.Lock()
	defer lib.mu.Unlock()
	var ok bool
	var errs []*verrors.ValidationError
	if x.Status < 400 {
		ok, errs = v.ValidateHttpRequestResponse(req, res)
	} else {
		ok, errs = v.ValidateHttpResponse(req, res)
	}
	if !ok {
		return fmt.Errorf("libopenapi-validator: %s %s → %d:%s", x.Method, x.Path, x.Status, describe(errs))
	}
	return nil
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n\t" + e.Message + ": " + e.Reason)
		for _, s := range e.SchemaValidationErrors {
			b.WriteString("\n\t\t" + s.Reason + " at " + s.FieldPath)
		}
	}
	return b.String()
}

// Handler passes every request to h and records it; when the test ends,
// each exchange is held to the document (Check) and every mismatch is a
// test error. CORS preflights (OPTIONS, answered on every path) are
// outside the document. Streamed answers still stream.
func Handler(t testing.TB, h http.Handler) http.Handler {
	var mu sync.Mutex
	var xs []Exchange
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, x := range xs {
			if err := Check(x); err != nil {
				t.Errorf("answer does not match docs/openapi.yaml: %v\n\tbody: %.300s", err, bytes.TrimSpace(x.Body))
			}
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		reqHeader := r.Header.Clone()
		tee := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(tee, r)
		if r.Method == http.MethodOptions {
			return
		}
		body := tee.body.Bytes()
		if r.Method == http.MethodHead {
			body = nil // net/http sends no body to a HEAD, whatever the handler wrote
		}
		mu.Lock()
		xs = append(xs, Exchange{r.Method, r.URL.Path, r.URL.RawQuery, reqHeader, reqBody, tee.status, w.Header().Clone(), body})
		mu.Unlock()
	})
}

// teeWriter keeps a copy of the answer and passes everything through.
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
