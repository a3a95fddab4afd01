package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
)

// signupPage is GET /signup; with --signup=false it says signup is closed.
func (p *pages) signupPage(q *req) error {
	status := http.StatusOK
	if !p.svc.Policy.Signup {
		status = http.StatusForbidden
	}
	return p.render(q, status, pageSignup, view{
		Title: "signup.title", ReturnTo: p.safeReturn(param(q.r, "return_to")), Signup: p.svc.Policy.Signup,
	})
}

// signup is POST /signup: the account, then a cookie-mode login with the
// password just chosen, so the new user lands signed in.
func (p *pages) signup(q *req) error {
	username, pw, returnTo := q.form.Get("username"), q.form.Get("password"), p.safeReturn(q.form.Get("return_to"))
	again := view{Title: "signup.title", Username: username, ReturnTo: returnTo, Signup: p.svc.Policy.Signup}
	if _, err := p.svc.Signup(q.r.Context(), username, pw, p.client(q.r)); err != nil {
		return p.formError(q, err, pageSignup, again)
	}
	pair, err := p.svc.Login(q.r.Context(), authn.LoginInput{
		Username: username, Password: pw, DeviceID: deviceCookie(q.r), Client: p.client(q.r), Delivery: authn.DeliveryCookie,
	})
	if err != nil {
		// The account exists; whatever stopped the login, the login page says.
		return p.formError(q, err, pageLogin, view{Title: "login.title", Username: username, ReturnTo: returnTo, Signup: p.svc.Policy.Signup})
	}
	p.signIn(q, pair)
	redirect(q.w, p.next(returnTo))
	return nil
}
