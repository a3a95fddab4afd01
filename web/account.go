package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/store"
)

// accountPage is GET /account: the user's devices, the current one
// marked, and the forms that act on them.
func (p *pages) accountPage(q *req) error {
	return p.account(q, http.StatusOK, view{Notice: notice(q.r)})
}

// account renders the account page with v's notice or error.
func (p *pages) account(q *req, status int, v view) error {
	live, err := p.svc.Sessions(q.r.Context(), q.who.UserID)
	if err != nil {
		return err
	}
	v.Title, v.CSRF, v.Username, v.Devices = "account.title", q.who.CSRF, q.who.Username, devices(live, q.who.SessionID)
	return p.render(q, status, pageAccount, v)
}

// devices turns sessions into what the pages show, current first.
func devices(ss []store.Session, current string) []device {
	out := make([]device, 0, len(ss))
	for _, s := range ss {
		d := device{ID: s.ID, Current: s.ID == current, UserAgent: s.UserAgent, IP: s.IP, Created: s.CreatedAt, LastSeen: s.LastSeenAt}
		if d.Current {
			out = append([]device{d}, out...)
		} else {
			out = append(out, d)
		}
	}
	return out
}

// logout is POST /account/logout: this device's session ends and its
// cookies are cleared.
func (p *pages) logout(q *req) error {
	if err := p.svc.Logout(q.r.Context(), q.who, authn.ScopeLocal, p.client(q.r)); err != nil {
		return err
	}
	p.cookies.Clear(q.w)
	redirect(q.w, "/login?notice=logged_out")
	return nil
}

// logoutOthers is POST /account/logout-others, a step-up action: with a
// stale login the user is asked for the password first (fail sends them
// to /reauth) and comes back to the account page.
func (p *pages) logoutOthers(q *req) error {
	if err := p.svc.Logout(q.r.Context(), q.who, authn.ScopeOthers, p.client(q.r)); err != nil {
		return err
	}
	redirect(q.w, "/account?notice=others")
	return nil
}

// endSession is POST /account/sessions/{id}/end: one device logs out
// (this one: as logout; another: a step-up action like logoutOthers).
func (p *pages) endSession(q *req) error {
	id := q.r.PathValue("id")
	if id == q.who.SessionID {
		return p.logout(q)
	}
	err := p.svc.EndSession(q.r.Context(), q.who, id, p.client(q.r))
	switch {
	case errors.Is(err, authn.ErrNotFound):
		redirect(q.w, "/account") // ended meanwhile, or never this user's
		return nil
	case err != nil:
		return err
	}
	redirect(q.w, "/account?notice=ended")
	return nil
}

// changePassword is POST /account/password. The current password is
// itself a fresh authentication, so no step-up; every other session ends.
func (p *pages) changePassword(q *req) error {
	err := p.svc.ChangePassword(q.r.Context(), q.who, q.form.Get("current_password"), q.form.Get("new_password"), p.client(q.r))
	if errors.Is(err, authn.ErrInvalidCredentials) {
		return p.account(q, http.StatusUnauthorized, view{Error: "error.wrong_password"})
	}
	if err != nil {
		status, key, ok := problem(q.text, err)
		if !ok || signedOut(err) || status >= 500 {
			return err
		}
		retryAfter(q.w, err)
		return p.account(q, status, view{Error: key})
	}
	redirect(q.w, "/account?notice=password")
	return nil
}
