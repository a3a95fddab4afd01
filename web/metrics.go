package web

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/metrics"
)

// observe records one answer in the API's request histogram (route label:
// the page's pattern), when the app gave one.
func (p *pages) observe(route string, r *http.Request, w *metrics.StatusWriter, start time.Time) {
	p.opt.Metrics.ObserveRequest(route, r.Method, w, start)
}
