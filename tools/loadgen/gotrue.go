package main

import (
	"fmt"
	"net/http"
)

// GoTrue (Supabase Auth) is the peer the refresh figure is compared with
// (issue 9; scripts/bench-gotrue.sh builds and runs it). Its API differs
// from Gatehouse's only in names: accounts are e-mail addresses, signup is
// POST /signup, and both the password login and the refresh are POST
// /token with a grant_type query parameter. Run it with
// GOTRUE_MAILER_AUTOCONFIRM=true so a signup needs no mail.

func (o opts) gotrueCreds(i int) map[string]string {
	return map[string]string{"email": fmt.Sprintf("%s-%d@example.com", o.prefix, i), "password": o.password}
}

// gotrueSignup creates the account; one that already exists (GoTrue
// answers 422 user_already_exists, or 400 on older versions) is fine, so
// a benchmark can run twice on the same database.
func gotrueSignup(c *http.Client, o opts, cr map[string]string) error {
	code, err := post(c, o.url+"/signup", cr, nil)
	if err != nil {
		return err
	}
	switch code {
	case http.StatusOK, http.StatusCreated, http.StatusUnprocessableEntity, http.StatusBadRequest:
		return nil
	}
	return fmt.Errorf("gotrue signup %s: status %d", cr["email"], code)
}

func gotrueLogin(c *http.Client, o opts, cr map[string]string) (pair, error) {
	var p pair
	code, err := post(c, o.url+"/token?grant_type=password", cr, &p)
	if err == nil && (code != http.StatusOK || p.RefreshToken == "") {
		err = fmt.Errorf("gotrue login %s: status %d", cr["email"], code)
	}
	return p, err
}

// gotrueSetupParallel bounds the signups and logins of the setup in
// flight at once: with a pool of 16, 15 parallel GoTrue signups answered
// but 40 or 64 all waited until its 10 s request timeout (504), as if a
// signup needed a second pool connection while holding one.
const gotrueSetupParallel = 4

// gotrueRefreshOps is refreshOps against GoTrue: each worker signs up and
// logs in its own account (untimed, at most gotrueSetupParallel at once),
// then always presents the refresh token of its previous answer to POST
// /token?grant_type=refresh_token (GoTrue rotates refresh tokens by
// default); after a failure it logs in again, untimed.
func gotrueRefreshOps(c *http.Client, o opts) (func(int) (op, error), error) {
	setup := make(chan struct{}, gotrueSetupParallel)
	return func(i int) (op, error) {
		cr := o.gotrueCreds(i)
		setup <- struct{}{}
		err := gotrueSignup(c, o, cr)
		var p pair
		if err == nil {
			p, err = gotrueLogin(c, o, cr)
		}
		<-setup
		if err != nil {
			return op{}, err
		}
		rt := p.RefreshToken
		return op{
			prepare: func() error {
				if rt != "" {
					return nil
				}
				p, err := gotrueLogin(c, o, cr)
				rt = p.RefreshToken
				return err
			},
			do: func() (int, error) {
				var next pair
				code, err := post(c, o.url+"/token?grant_type=refresh_token", map[string]string{"refresh_token": rt}, &next)
				rt = next.RefreshToken // "" after a failure: log in again
				return code, err
			},
		}, nil
	}, nil
}
