package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// pair is the part of a TokenPair the load modes use.
type pair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// post sends a JSON body and decodes a 2xx answer into out (if not nil). It
// always reads the body to the end so the connection can be reused.
func post(c *http.Client, url string, in, out any) (int, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, err
	}
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 || out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (o opts) creds(i int) credentials {
	return credentials{Username: fmt.Sprintf("%s-%d", o.prefix, i), Password: o.password}
}

// signup creates the account; one that already exists (409) is fine, so a
// benchmark can run twice on the same data directory.
func signup(c *http.Client, o opts, cr credentials) error {
	code, err := post(c, o.url+"/v1/signup", cr, nil)
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusConflict {
		return fmt.Errorf("signup %s: status %d", cr.Username, code)
	}
	return nil
}

func login(c *http.Client, o opts, cr credentials) (pair, error) {
	var p pair
	code, err := post(c, o.url+"/v1/login", cr, &p)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("login %s: status %d", cr.Username, code)
	}
	return p, err
}

// verifyOps logs in once; every worker then sends that access token.
func verifyOps(c *http.Client, o opts) (func(int) (op, error), error) {
	cr := o.creds(0)
	if err := signup(c, o, cr); err != nil {
		return nil, err
	}
	header, value := "Cookie", ""
	if o.cookie {
		v, err := cookieLogin(c, o, cr)
		if err != nil {
			return nil, err
		}
		value = v
	} else {
		p, err := login(c, o, cr)
		if err != nil {
			return nil, err
		}
		header, value = "Authorization", "Bearer "+p.AccessToken
	}
	return func(int) (op, error) {
		// One request per worker, sent again and again: it has no body,
		// and building it each time would only add generator CPU.
		req, err := http.NewRequest(http.MethodGet, o.target, nil)
		if err != nil {
			return op{}, err
		}
		req.Header.Set(header, value)
		return op{do: func() (int, error) {
			resp, err := c.Do(req)
			if err != nil {
				return 0, err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, err
		}}, nil
	}, nil
}

// refreshOps gives each worker its own account and session. Every refresh
// presents the token of the worker's previous answer; after a failure the
// worker logs in again (untimed) rather than replaying a spent token.
func refreshOps(c *http.Client, o opts) (func(int) (op, error), error) {
	return func(i int) (op, error) {
		cr := o.creds(i)
		if err := signup(c, o, cr); err != nil {
			return op{}, err
		}
		p, err := login(c, o, cr)
		if err != nil {
			return op{}, err
		}
		rt := p.RefreshToken
		return op{
			prepare: func() error {
				if rt != "" {
					return nil
				}
				p, err := login(c, o, cr)
				rt = p.RefreshToken
				return err
			},
			do: func() (int, error) {
				var next pair
				code, err := post(c, o.url+"/v1/token/refresh", map[string]string{"refresh_token": rt}, &next)
				rt = next.RefreshToken // "" after a failure: log in again
				return code, err
			},
		}, nil
	}, nil
}

// loginOps signs up -users accounts (in parallel, untimed); worker i logs in
// as account i mod -users.
func loginOps(c *http.Client, o opts) (func(int) (op, error), error) {
	errs := make([]error, o.users)
	var wg sync.WaitGroup
	for i := range o.users {
		wg.Go(func() { errs[i] = signup(c, o, o.creds(i)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return func(i int) (op, error) {
		cr := o.creds(i % o.users)
		return op{do: func() (int, error) { return post(c, o.url+"/v1/login", cr, nil) }}, nil
	}, nil
}

// cookieLogin logs in with delivery "cookie" and returns the Cookie header
// value that carries the session cookie.
func cookieLogin(c *http.Client, o opts, cr credentials) (string, error) {
	body, err := json.Marshal(map[string]string{"username": cr.Username, "password": cr.Password, "delivery": "cookie"})
	if err != nil {
		return "", err
	}
	resp, err := c.Post(o.url+"/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	for _, k := range resp.Cookies() {
		if k.Name == "__Host-gatehouse" || k.Name == "gatehouse" {
			return k.Name + "=" + k.Value, nil
		}
	}
	return "", fmt.Errorf("cookie login %s: status %d, no session cookie", cr.Username, resp.StatusCode)
}
