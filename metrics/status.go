package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// StatusWriter remembers the status of an answer, for the request
// histogram and the request log. The JSON API and the pages both wrap
// their writers in it.
type StatusWriter struct {
	http.ResponseWriter
	status int
}

// NewStatusWriter wraps w.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter { return &StatusWriter{ResponseWriter: w} }

func (w *StatusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Written reports whether a status has been sent.
func (w *StatusWriter) Written() bool { return w.status != 0 }

// Code is the status sent (200 when the handler wrote nothing).
func (w *StatusWriter) Code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ObserveRequest records one answer in the request histogram; m may be nil.
func (m *Metrics) ObserveRequest(route, method string, w *StatusWriter, start time.Time) {
	if m == nil {
		return
	}
	m.Requests.WithLabelValues(route, method, strconv.Itoa(w.Code())).Observe(time.Since(start).Seconds())
}
