package web

import (
	"crypto/subtle"
	"errors"
	"github.com/gatehouse/gatehouse/metrics"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
)

// req is one request to a page, with what the pages learn about it on the
// way in.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	text *text            // the page language
	form url.Values       // a POST's form
	who  *authn.Principal // the signed-in user (authed pages)
}

// handler is a page: it returns an error instead of writing one (fail
// writes it).
type handler func(q *req) error

// maxForm caps a form body: the largest honest one (a password change) is
// far smaller.
const maxForm = 16 << 10

// handle registers a page. Every POST is a form and passes the cross-site
// checks (provenance) before its body is read.
func (p *pages) handle(pattern string, h handler) {
	method, path, _ := strings.Cut(pattern, " ")
	p.allow[path] = append(p.allow[path], method)
	if method == http.MethodGet {
		p.allow[path] = append(p.allow[path], http.MethodHead)
	}
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := metrics.NewStatusWriter(w)
		q := &req{w: sw, r: r, text: negotiate(r)}
		defer p.observe(path, r, sw, time.Now())
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				p.fail(q, errors.New("panic"))
				p.log.Error("page panicked", "path", r.URL.Path, "panic", v)
			}
		}()
		err := p.prepare(q)
		if err == nil {
			err = h(q)
		}
		if err != nil {
			p.fail(q, err)
		}
	})
}

// prepare runs the checks every form post needs.
func (p *pages) prepare(q *req) error {
	if q.r.Method != http.MethodPost {
		return nil
	}
	noStore(q.w)
	if err := p.provenance(q.r); err != nil {
		return err
	}
	form, err := readForm(q.w, q.r)
	if err != nil {
		return err
	}
	q.form = form
	return nil
}

// provenance is the cross-site rule of every form post, with or without a
// session (login CSRF): the browser must say where the form came from —
// every current browser sends Origin or Sec-Fetch-Site with a form post —
// and that must be this server or an --allowed-origins one.
func (p *pages) provenance(r *http.Request) error {
	if len(r.Header.Values("Origin")) == 0 && len(r.Header.Values("Sec-Fetch-Site")) == 0 {
		return browser.ErrCSRF
	}
	return p.origins.SameSite(r, p.self(r))
}

// readForm reads the one urlencoded form of a post, in credential.Form's
// one spelling (a repeated field is refused, never "first wins").
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" || len(r.Header.Values("Content-Type")) != 1 {
		return nil, errBadForm
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		return nil, errBadForm
	}
	form, err := credential.Form(string(b))
	if err != nil {
		return nil, errBadForm
	}
	return form, nil
}

// checkToken compares the form's csrf_token with the session's, in
// constant time.
func checkToken(form url.Values, want string) error {
	got := form.Get("csrf_token")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return browser.ErrCSRF
	}
	return nil
}

// authed requires a live cookie session; a form post must also carry the
// session's CSRF token. Without a session the answer is the login page,
// which comes back here after the login.
func (p *pages) authed(h handler) handler {
	return func(q *req) error {
		secret, present, err := credential.Cookie(q.r.Header, p.cookies.SessionName())
		if err != nil || !present {
			return errNoSession
		}
		who, err := p.svc.AuthenticateCookie(q.r.Context(), secret)
		if err != nil {
			return err
		}
		if q.r.Method == http.MethodPost {
			if err := checkToken(q.form, who.CSRF); err != nil {
				return err
			}
		}
		noStore(q.w)
		q.who = who
		return h(q)
	}
}
