package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/store"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the HTTP layer.
type Options struct {
	AdminToken     string
	Issuer         string
	SigningAlg     string
	JWKSMaxAge     time.Duration
	TrustedProxies []string
	Log            *slog.Logger
	Metrics        *metrics.Metrics
	Store          store.Store // for /readyz when Ready is nil
	// Ready, when set, is what /readyz reports instead of pinging Store:
	// nil while the store answers, else why not (the app keeps it from a
	// background ping, so a probe never waits on a stalled store).
	Ready func() error
	// Browser mode: --allowed-origins, --cookie-domain, --insecure-cookies.
	AllowedOrigins  []string
	CookieDomain    string
	InsecureCookies bool
	// VerifyRules are --verify-rule's roles by forwarded path prefix
	// (config.VerifyRules); a key may start with a method ("POST /admin/").
	VerifyRules map[string][]string
	// FeedToken is --feed-token: a bearer token for GET /v1/revocations
	// besides the admin token.
	FeedToken string
}

// Server serves the API.
type Server struct {
	svc     *authn.Service
	opt     Options
	log     *slog.Logger
	proxies *proxyList
	mux     *http.ServeMux
	routes  []string
	cookies browser.Cookies
	origins *browser.Origins
	cors    browser.CORS
	// verifyRules select the roles GET /v1/verify requires.
	verifyRules verifyRules
	// endpoints are "METHOD pattern", kept sorted.
	endpoints []string
	// feedBeat and feedBuf override the revocation feed's heartbeat and
	// subscriber buffer (tests).
	feedBeat time.Duration
	feedBuf  int
	// feedResumes counts lagged subscribers resumed from the store.
	feedResumes atomic.Int64
}

// handler is an endpoint: it returns an error instead of writing one.
type handler func(w http.ResponseWriter, r *http.Request) error

// New builds the server and its routes.
func New(svc *authn.Service, opt Options) *Server {
	s := &Server{svc: svc, opt: opt, log: opt.Log, mux: http.NewServeMux(), proxies: parseProxies(opt.TrustedProxies)}
	s.cookies = browser.Cookies{Insecure: opt.InsecureCookies, Domain: opt.CookieDomain}
	s.origins = browser.NewOrigins(opt.AllowedOrigins)
	s.cors = browser.CORS{Origins: s.origins}
	s.verifyRules = parseVerifyRules(opt.VerifyRules)
	if s.log == nil {
		s.log = slog.Default()
	}
	s.routesV1()
	return s
}

func (s *Server) routesV1() {
	s.handle("/v1/signup", methods{"POST": s.signup})
	s.handle("/v1/login", methods{"POST": s.login})
	s.handle("/v1/login/resolve", methods{"POST": s.resolveLogin})
	s.handle("/v1/password", methods{"POST": s.auth(s.changePassword)})
	s.handle("/v1/me", methods{"GET": s.auth(s.me), "DELETE": s.auth(s.deleteMe)})
	s.handle("/v1/me/events", methods{"GET": s.auth(s.myEvents)})
	s.handle("/v1/token/refresh", methods{"POST": s.refresh})
	s.handle("/v1/reauth", methods{"POST": s.tokenAuth(s.reauth)})
	s.handle("/v1/sessions", methods{"GET": s.auth(s.sessions)})
	s.handle("/v1/sessions/{id}", methods{"DELETE": s.auth(s.deleteSession)})
	s.handle("/v1/logout", methods{"POST": s.auth(s.logout)})
	s.handle("/v1/csrf", methods{"GET": s.csrfToken})
	s.handle("/v1/verify", methods{"GET": s.verify, "HEAD": s.verify, "POST": s.verify, "PUT": s.verify, "PATCH": s.verify, "DELETE": s.verify})
	s.handle("/v1/introspect", methods{"POST": s.admin(s.introspect)})
	s.handle("/v1/revoke", methods{"POST": s.revoke})
	s.handle("/v1/revocations", methods{"GET": s.revocations})
	s.handle("/v1/openapi.yaml", methods{"GET": s.openAPI, "HEAD": s.openAPI})
	s.handle("/v1/admin/users/{id}/logout", methods{"POST": s.admin(s.adminLogout)})
	s.handle("/v1/admin/users/{id}/sessions", methods{"GET": s.admin(s.adminSessions)})
	s.handle("/v1/admin/users/{id}/roles", methods{"PUT": s.admin(s.adminRoles)})
	s.handle("/v1/admin/users/{id}/password", methods{"PUT": s.admin(s.adminPassword)})
	s.handle("/v1/admin/users/{id}/events", methods{"GET": s.admin(s.adminEvents)})
	s.handle("/.well-known/jwks.json", methods{"GET": s.jwks, "HEAD": s.jwks})
	s.handle("/.well-known/openid-configuration", methods{"GET": s.openID, "HEAD": s.openID})
	s.handle("/healthz", methods{"GET": s.healthz, "HEAD": s.healthz})
	s.handle("/readyz", methods{"GET": s.readyz, "HEAD": s.readyz})
	if s.opt.Metrics != nil {
		prom := promhttp.HandlerFor(s.opt.Metrics.Registry, promhttp.HandlerOpts{})
		s.handle("/metrics", methods{"GET": func(w http.ResponseWriter, r *http.Request) error {
			prom.ServeHTTP(w, r)
			return nil
		}})
	}
	s.handle("/", methods{"*": func(http.ResponseWriter, *http.Request) error {
		return errorf(http.StatusNotFound, "not_found", "no such endpoint")
	}})
}

// Routes lists every registered path pattern (for the OpenAPI test).
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// Endpoints lists every served "METHOD pattern" pair, sorted (for the docs
// test); the catch-all 404 route is not an endpoint.
func (s *Server) Endpoints() []string { return append([]string(nil), s.endpoints...) }

// methods dispatches by method; others get 405 with Allow.
type methods map[string]handler

func (s *Server) handle(pattern string, ms methods) {
	s.routes = append(s.routes, pattern)
	allow := make([]string, 0, len(ms))
	for m := range ms {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	for _, m := range allow {
		if m != "*" {
			s.endpoints = append(s.endpoints, m+" "+pattern)
		}
	}
	sort.Strings(s.endpoints)
	h := func(w http.ResponseWriter, r *http.Request) error {
		fn, ok := ms[r.Method]
		if !ok {
			fn, ok = ms["*"]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return errorf(http.StatusMethodNotAllowed, "invalid_request", "method "+r.Method+" is not allowed here")
		}
		return fn(w, r)
	}
	s.mux.Handle(pattern, s.wrap(pattern, h))
}

// wrap adds request id, panic recovery, metrics and the error writer.
func (s *Server) wrap(route string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		r = r.WithContext(context.WithValue(r.Context(), ctxRequestID{}, id))
		sw := metrics.NewStatusWriter(w)
		sw.Header().Set("X-Request-Id", id)
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			sw.Header().Set("Cache-Control", "no-store")
		}
		if s.cors.Preflight(sw, r) {
			return
		}
		s.cors.Headers(sw, r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "request_id", id, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if !sw.Written() {
					writeJSON(sw, 500, map[string]string{"error": "internal_error", "message": "internal error"})
				}
			}
			s.opt.Metrics.ObserveRequest(route, r.Method, sw, start)
			// Checked first: the arguments alone cost five allocations
			// per request when debug logging is off.
			if s.log.Enabled(r.Context(), slog.LevelDebug) {
				s.log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.Code(), "duration", time.Since(start))
			}
		}()
		if err := h(sw, r); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type ctxRequestID struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID{}).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
