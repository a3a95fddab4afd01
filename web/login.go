package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
)

// loginPage is GET /login.
func (p *pages) loginPage(q *req) error {
	return p.render(q, http.StatusOK, pageLogin, view{
		Title: "login.title", Notice: notice(q.r), ReturnTo: p.safeReturn(param(q.r, "return_to")), Signup: p.svc.Policy.Signup,
	})
}

// login is POST /login: a cookie-mode login (a new session id and cookie
// secret every time, so nothing sent before the login is promoted), the
// session-limit choice when the policy is reject, else the login page
// again with the reason.
func (p *pages) login(q *req) error {
	username, returnTo := q.form.Get("username"), p.safeReturn(q.form.Get("return_to"))
	pair, err := p.svc.Login(q.r.Context(), authn.LoginInput{
		Username: username, Password: q.form.Get("password"), DeviceID: deviceCookie(q.r),
		Client: p.client(q.r), Delivery: authn.DeliveryCookie,
	})
	var limit *authn.LimitError
	switch {
	case errors.As(err, &limit):
		return p.render(q, http.StatusConflict, pageChoose, view{
			Title: "choose.title", Challenge: limit.Challenge, Choices: devices(limit.Sessions, ""), ReturnTo: returnTo,
		})
	case err != nil:
		return p.formError(q, err, pageLogin, view{Title: "login.title", Username: username, ReturnTo: returnTo, Signup: p.svc.Policy.Signup})
	}
	p.signIn(q, pair)
	redirect(q.w, p.next(returnTo))
	return nil
}

// resolve is POST /login/resolve: the session-limit choice. The one-time
// challenge stands for the password checked a moment ago.
func (p *pages) resolve(q *req) error {
	returnTo := p.safeReturn(q.form.Get("return_to"))
	pair, err := p.svc.ResolveLogin(q.r.Context(), q.form.Get("login_challenge"), q.form.Get("end_session_id"), authn.DeliveryCookie, "", p.client(q.r))
	if err != nil {
		if errors.Is(err, authn.ErrInvalidInput) || errors.Is(err, authn.ErrNotFound) {
			err = authn.ErrChallenge // spent now, whatever was wrong: log in again
		}
		return p.formError(q, err, pageLogin, view{Title: "login.title", ReturnTo: returnTo, Signup: p.svc.Policy.Signup})
	}
	p.signIn(q, pair)
	redirect(q.w, p.next(returnTo))
	return nil
}

// signIn completes a login: a session this browser held before (another
// account's, say) is ended, since its cookie is about to be overwritten
// and it must not live on unseen in that account's devices; then the new
// session's cookies are set.
func (p *pages) signIn(q *req, pair authn.TokenPair) {
	p.endPrevious(q, pair.SessionID)
	p.setCookies(q.w, pair)
}

// setCookies sets the cookies of a cookie-mode pair, exactly as the JSON
// API does: the session cookie for the session's lifetime, and the device
// cookie so this browser's next login replaces its session.
func (p *pages) setCookies(w http.ResponseWriter, pair authn.TokenPair) {
	p.cookies.SetSession(w, pair.CookieSecret, pair.Session.ExpiresAt.Sub(p.svc.Now()))
	p.cookies.SetDevice(w, pair.DeviceID)
}

// endPrevious logs out the session of the cookie the login request
// carried, if it is live and not the new one. It is best effort: the login
// has succeeded either way.
func (p *pages) endPrevious(q *req, current string) {
	secret, present, err := credential.Cookie(q.r.Header, p.cookies.SessionName())
	if err != nil || !present {
		return
	}
	prev, err := p.svc.AuthenticateCookie(q.r.Context(), secret)
	if err != nil || prev.SessionID == current {
		return
	}
	if err := p.svc.Logout(q.r.Context(), prev, authn.ScopeLocal, p.client(q.r)); err != nil {
		p.log.Warn("previous browser session not ended at login", "session_id", prev.SessionID, "err", err)
	}
}

// deviceCookie is the device id this browser holds; a malformed one is
// ignored (it is not a credential).
func deviceCookie(r *http.Request) string {
	v, present, err := credential.Cookie(r.Header, browser.DeviceCookie)
	if err != nil || !present {
		return ""
	}
	return v
}

// formError answers a refused form with its page again and the reason, or,
// for what no form can fix (a session gone, the server down), as fail does.
func (p *pages) formError(q *req, err error, page string, v view) error {
	status, key, ok := problem(q.text, err)
	if !ok || signedOut(err) || errors.Is(err, authn.ErrReauthRequired) || errors.Is(err, browser.ErrCSRF) {
		return err
	}
	retryAfter(q.w, err)
	v.Error = key
	return p.render(q, status, page, v)
}
