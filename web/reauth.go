package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
)

// reauthPage is GET /reauth: the password re-prompt of step-up actions.
func (p *pages) reauthPage(q *req) error {
	return p.render(q, http.StatusOK, pageReauth, view{
		Title: "reauth.title", CSRF: q.who.CSRF, Username: q.who.Username, ReturnTo: p.safeReturn(param(q.r, "return_to")),
	})
}

// reauth is POST /reauth. A step-up renews the browser session (new
// session id and cookie secret, authn.Service.Reauth), so the new cookie
// is set here and the old one stops working.
func (p *pages) reauth(q *req) error {
	returnTo := p.safeReturn(q.form.Get("return_to"))
	pair, err := p.svc.Reauth(q.r.Context(), q.who, q.form.Get("password"), p.client(q.r))
	if err != nil {
		v := view{Title: "reauth.title", CSRF: q.who.CSRF, Username: q.who.Username, ReturnTo: returnTo}
		if errors.Is(err, authn.ErrInvalidCredentials) {
			v.Error = "error.wrong_password"
			return p.render(q, http.StatusUnauthorized, pageReauth, v)
		}
		return p.formError(q, err, pageReauth, v)
	}
	p.setCookies(q.w, pair)
	redirect(q.w, withNotice(p.next(returnTo), "reauth"))
	return nil
}

// withNotice adds the notice parameter to a path of ours; other targets
// (an --allowed-origins URL) are left as they are.
func withNotice(to, n string) string {
	if to != home {
		return to
	}
	return to + "?notice=" + n
}
