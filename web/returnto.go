package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/credential"
)

// home is where a form leads when it names no (acceptable) return_to.
const home = "/account"

// param is the query parameter name when the query has it once, in the one
// spelling credential.Form accepts; anything else reads as absent.
func param(r *http.Request, name string) string {
	q, err := credential.Form(r.URL.RawQuery)
	if err != nil {
		return ""
	}
	return q.Get(name)
}

// safeReturn is v when browser.Origins.SafeReturn accepts it (a path of
// this server, or a URL on --allowed-origins), else "": hostile values are
// neither followed nor echoed into forms.
func (p *pages) safeReturn(v string) string {
	if v != "" && p.origins.SafeReturn(v) {
		return v
	}
	return ""
}

// next is where a successful form sends the user.
func (p *pages) next(v string) string {
	if to := p.safeReturn(v); to != "" {
		return to
	}
	return home
}

// loginURL is the login page that comes back to r's page: the page itself
// for a GET, the account page for a form.
func loginURL(r *http.Request) string {
	back := home
	if uri := r.URL.RequestURI(); r.Method == http.MethodGet && len(uri) <= 2048 {
		back = uri
	}
	return "/login?return_to=" + url.QueryEscape(back)
}

// notices are the notice parameters a redirect may name, by message key:
// only these are shown, so a link cannot put words on the page.
var notices = map[string]string{
	"logged_out": "notice.logged_out",
	"others":     "notice.others",
	"password":   "notice.password",
	"ended":      "notice.ended",
	"reauth":     "notice.reauth",
}

// notice is the message key of r's notice parameter, if it names one.
func notice(r *http.Request) string { return notices[param(r, "notice")] }
