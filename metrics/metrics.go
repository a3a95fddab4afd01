package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector.
type Metrics struct {
	Registry  *prometheus.Registry
	Logins    *prometheus.CounterVec // result
	Signups   *prometheus.CounterVec // result
	Refreshes *prometheus.CounterVec // result
	Reuse     *prometheus.CounterVec // cause
	Verifies  *prometheus.CounterVec // result
	Evictions *prometheus.CounterVec // reason
	Requests  *prometheus.HistogramVec
	// Sessions is set by whoever counts the session rows (the app's
	// sweeper), never computed at scrape time: a scrape must cost no store
	// query, or scraping becomes a load an outsider can drive.
	Sessions prometheus.Gauge
}

// New registers every collector on a fresh registry, with the Go and process
// collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_logins_total", Help: "Login attempts by result.",
		}, []string{"result"}),
		Signups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_signups_total", Help: "Signup attempts by result.",
		}, []string{"result"}),
		Refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_refreshes_total", Help: "Refresh attempts by result.",
		}, []string{"result"}),
		Reuse: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_refresh_reuse_total", Help: "Refresh tokens presented again after rotation, by cause (after-grace: the previous token after the grace window; stale: an older token of the chain).",
		}, []string{"cause"}),
		Verifies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_verifies_total", Help: "Access-token verifications by result.",
		}, []string{"result"}),
		Evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_sessions_ended_total", Help: "Sessions ended, by reason (logout, device, evict-oldest, evict-idle, reuse, password, admin, ...).",
		}, []string{"reason"}),
		Requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gatehouse_http_request_duration_seconds", Help: "HTTP request duration by route, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
		Sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_sessions", Help: "Session rows in the store (live or awaiting the sweeper), counted at start and at each sweep (--sweep-interval), not at scrape time.",
		}),
	}
	m.Registry.MustRegister(m.Logins, m.Signups, m.Refreshes, m.Reuse, m.Verifies, m.Evictions, m.Requests, m.Sessions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gauge registers a gauge whose value is read from f at scrape time. f runs
// on every scrape, so it must only read memory (an atomic, a length), never
// query the store.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}
