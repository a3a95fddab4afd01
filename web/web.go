package web

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/metrics"
)

// Options configure the pages.
type Options struct {
	// Cookies names and sets the cookies (--insecure-cookies,
	// --cookie-domain), exactly as the JSON API does.
	Cookies browser.Cookies
	// AllowedOrigins is --allowed-origins: besides the server's own origin,
	// who may post the forms, and where return_to may lead.
	AllowedOrigins []string
	// Self is the request's own origin (scheme and host), https when a
	// trusted proxy says the browser used it. Nil: browser.Self without
	// proxies. The app passes the JSON API's, so both agree.
	Self func(*http.Request) string
	// Client is who is asking (address behind trusted proxies, user agent),
	// for sessions and rate limits. Nil: the peer address.
	Client func(*http.Request) authn.Client
	Log    *slog.Logger
	// Metrics, when set, counts page answers in the request histogram.
	Metrics *metrics.Metrics
}

// pages is the handler New returns.
type pages struct {
	svc     *authn.Service
	opt     Options
	log     *slog.Logger
	cookies browser.Cookies
	origins *browser.Origins
	csp     string
	mux     *http.ServeMux
	// allow lists each path's methods, for 405 answers.
	allow map[string][]string
}

// Paths are the path patterns the pages own (for an http.ServeMux in front
// of the JSON API): every other path belongs to the API.
func Paths() []string {
	return []string{"/login", "/login/resolve", "/signup", "/account", "/account/", "/reauth", "/static/", "/gatehouse.js"}
}

// New builds the pages' handler.
func New(svc *authn.Service, opt Options) http.Handler {
	p := &pages{svc: svc, opt: opt, log: opt.Log, cookies: opt.Cookies, mux: http.NewServeMux(), allow: map[string][]string{}}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.origins = browser.NewOrigins(opt.AllowedOrigins)
	p.csp = contentSecurityPolicy(opt.AllowedOrigins)
	p.routes()
	return p
}

func (p *pages) routes() {
	p.handle("GET /login", p.loginPage)
	p.handle("POST /login", p.login)
	p.handle("POST /login/resolve", p.resolve)
	p.handle("GET /signup", p.signupPage)
	p.handle("POST /signup", p.signup)
	p.handle("GET /account", p.authed(p.accountPage))
	p.handle("POST /account/logout", p.authed(p.logout))
	p.handle("POST /account/logout-others", p.authed(p.logoutOthers))
	p.handle("POST /account/sessions/{id}/end", p.authed(p.endSession))
	p.handle("POST /account/password", p.authed(p.changePassword))
	p.handle("GET /reauth", p.authed(p.reauthPage))
	p.handle("POST /reauth", p.authed(p.reauth))
	p.mux.HandleFunc("GET /static/style.css", serveStyle)
	p.allow["/static/style.css"] = append(p.allow["/static/style.css"], "GET", "HEAD")
	p.mux.HandleFunc("GET /gatehouse.js", serveScript)
	p.allow["/gatehouse.js"] = append(p.allow["/gatehouse.js"], "GET", "HEAD")
	for path, methods := range p.allow {
		p.mux.HandleFunc(path, p.methodNotAllowed(methods))
	}
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.fail(&req{w: w, r: r, text: negotiate(r)}, errNotFound)
	})
}

// methodNotAllowed answers a known path asked with another method.
func (p *pages) methodNotAllowed(methods []string) http.HandlerFunc {
	allow := strings.Join(methods, ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		p.fail(&req{w: w, r: r, text: negotiate(r)}, errMethod)
	}
}

// ServeHTTP adds the security headers to every answer, then routes.
func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.securityHeaders(w)
	p.mux.ServeHTTP(w, r)
}

// self is the request's own origin.
func (p *pages) self(r *http.Request) string {
	if p.opt.Self != nil {
		return p.opt.Self(r)
	}
	return browser.Self(r, false)
}

// client is who is asking.
func (p *pages) client(r *http.Request) authn.Client {
	if p.opt.Client != nil {
		return p.opt.Client(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return authn.Client{IP: host, UserAgent: r.UserAgent()}
}
