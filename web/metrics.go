package web

import (
	"net/http"
	"strconv"
	"time"
)

// statusWriter remembers the status of an answer, for the request metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records one answer in the API's request histogram (route label:
// the page's pattern), when the app gave one.
func (p *pages) observe(route string, r *http.Request, w *statusWriter, start time.Time) {
	if p.opt.Metrics == nil {
		return
	}
	code := w.status
	if code == 0 {
		code = http.StatusOK
	}
	p.opt.Metrics.Requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
}
