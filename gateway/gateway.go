package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/metrics"
)

// Options configure a Gateway.
type Options struct {
	Routes  []config.Route // from config.GatewayRoutes
	Service *authn.Service
	Cookies browser.Cookies
	// AllowedOrigins is --allowed-origins (the CSRF rules).
	AllowedOrigins []string
	// Self is the request's own origin as the API sees it (https behind a
	// trusted proxy); it also decides X-Forwarded-Proto.
	Self func(*http.Request) string
	// Reserved are Gatehouse's own paths; a route whose prefix would
	// capture one of them is refused.
	Reserved []string
	Log      *slog.Logger
	// Metrics, when set, gets each answer in the request histogram under
	// the route "gateway <prefix>".
	Metrics *metrics.Metrics
}

// Gateway serves the routes and hands every other request to the next
// handler.
type Gateway struct {
	svc           *authn.Service
	routes        routes
	sessionCookie string
	origins       *browser.Origins
	self          func(*http.Request) string
	log           *slog.Logger
	metrics       *metrics.Metrics
	clientIP      func(*http.Request) string
}

// New builds the gateway's routes.
func New(o Options) (*Gateway, error) {
	g := &Gateway{
		svc: o.Service, sessionCookie: o.Cookies.SessionName(),
		origins: browser.NewOrigins(o.AllowedOrigins), self: o.Self, log: o.Log, metrics: o.Metrics,
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.self == nil {
		g.self = func(r *http.Request) string { return browser.Self(r, false) }
	}
	for _, c := range o.Routes {
		for _, own := range o.Reserved {
			if strings.HasPrefix(own, c.Prefix) || strings.HasPrefix(c.Prefix, own) {
				return nil, fmt.Errorf("gateway route %q would capture Gatehouse's own %s", c.Prefix, own)
			}
		}
		rt, err := newRoute(c)
		if err != nil {
			return nil, err
		}
		rt.proxy = g.proxy(rt)
		g.routes = append(g.routes, rt)
	}
	g.routes.sort()
	return g, nil
}

// Wrap serves the gateway's prefixes and passes every other path to next.
func (g *Gateway) Wrap(next http.Handler) http.Handler {
	if len(g.routes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := g.routes.match(r.URL.Path); rt != nil {
			start := time.Now()
			sw := metrics.NewStatusWriter(w)
			g.serve(sw, r, rt)
			g.metrics.ObserveRequest("gateway "+rt.prefix, r.Method, sw, start)
			g.log.Debug("gateway request", "method", r.Method, "path", r.URL.Path, "route", rt.prefix, "status", sw.Code(), "duration", time.Since(start))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ctxForward carries what the proxy's hooks need from the request's
// authentication.
type ctxForward struct{}

type forward struct {
	p     *authn.Principal
	token string
	w     http.ResponseWriter
	route *route
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, rt *route) {
	if dotSegments(r.URL.Path) {
		writeError(w, ErrBadPath)
		return
	}
	p, err := g.authenticate(r)
	if err == nil {
		err = g.csrf(r, p)
	}
	if err == nil && !rt.permits(p.Roles) {
		err = ErrForbidden
	}
	var tok authn.SessionToken
	if err == nil {
		tok, err = g.svc.MintForSession(r.Context(), p)
	}
	if err != nil {
		if unauthenticated(err) && wantsLogin(r, rt) {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, loginURL(r), http.StatusFound)
			return
		}
		if status(err) >= 500 {
			g.log.Warn("gateway: request refused", "path", r.URL.Path, "err", err)
		}
		writeError(w, err)
		return
	}
	allowStreaming(w, r, rt)
	f := &forward{p: p, token: tok.Raw, w: w, route: rt}
	rt.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxForward{}, f)))
}

// proxy is the route's ReverseProxy. ReverseProxy has already removed the
// hop-by-hop headers (and those the client's Connection header lists) and
// the client's Forwarded/X-Forwarded-* when Rewrite runs.
func (g *Gateway) proxy(rt *route) http.Handler {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the upstream is addressed directly, never via $HTTP_PROXY
	tr.ResponseHeaderTimeout = rt.timeout
	tr.DialContext = (&net.Dialer{Timeout: min(rt.timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext
	return &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			f := pr.In.Context().Value(ctxForward{}).(*forward)
			out := pr.Out
			out.URL.Scheme, out.URL.Host = rt.target.Scheme, rt.target.Host
			out.URL.Path, out.URL.RawPath = rt.upstreamPath(pr.In.URL)
			out.Host = "" // the target's host, as nginx's proxy_pass does
			stripClient(out.Header, g.sessionCookie)
			pr.SetXForwarded()
			// Behind --trusted-proxies the peer is the proxy: the upstream
			// gets the client's address as the API sees it, one value.
			if g.clientIP != nil {
				if ip := g.clientIP(pr.In); ip != "" {
					out.Header.Set("X-Forwarded-For", ip)
				}
			}
			if strings.HasPrefix(g.self(pr.In), "https://") {
				out.Header.Set("X-Forwarded-Proto", "https")
			}
			setIdentity(out.Header, f.p, f.token)
		},
		ModifyResponse: func(resp *http.Response) error {
			f, _ := resp.Request.Context().Value(ctxForward{}).(*forward)
			if f != nil && streaming(resp) {
				unlimited(f.w)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(r.Context().Err(), context.Canceled) {
				return // the client went away; nobody reads an answer
			}
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				g.log.Warn("gateway: upstream timed out", "route", rt.prefix, "err", err)
				writeError(w, ErrGatewayTimeout)
				return
			}
			g.log.Warn("gateway: upstream failed", "route", rt.prefix, "err", err)
			writeError(w, ErrBadGateway)
		},
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

// SetRequestInfo sets how the request's own origin (https behind a
// trusted proxy) and the client's address (walked back through
// --trusted-proxies) are decided: the API's Self and Client, so both agree.
// Call it before serving.
func (g *Gateway) SetRequestInfo(self func(*http.Request) string, clientIP func(*http.Request) string) {
	g.self, g.clientIP = self, clientIP
}
