package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/dpop"
)

// verifyDPoPOps logs in once with a DPoP proof (an Ed25519 key, or
// -dpop-alg ES256), so the access token is bound; every request then
// presents it as "Authorization: DPoP <token>" with a fresh proof for
// GET -target (new jti, ath of the token). The proofs are signed before
// the run, -proofs of them on every CPU (untimed), so the measured CPU is
// the server's checking and not the generator's signing, as it would be
// on a real client's machine; when they run out, workers sign their own.
// The pool must be used within the server's 60 s iat window: keep -d
// plus -warmup well under it.
func verifyDPoPOps(c *http.Client, o opts) (func(int) (op, error), error) {
	cr := o.creds(0)
	if err := signup(c, o, cr); err != nil {
		return nil, err
	}
	s, err := dpop.GenerateSigner(o.dpopAlg)
	if err != nil {
		return nil, err
	}
	tok, err := dpopLogin(c, o, cr, s)
	if err != nil {
		return nil, err
	}
	ath := dpop.AccessTokenHash(tok)
	sign := func() (string, error) { return s.Sign(http.MethodGet, o.target, ath, "") }
	pool, err := presign(o.proofs, sign)
	if err != nil {
		return nil, err
	}
	var next atomic.Int64
	return func(int) (op, error) {
		req, err := http.NewRequest(http.MethodGet, o.target, nil)
		if err != nil {
			return op{}, err
		}
		req.Header.Set("Authorization", "DPoP "+tok)
		return op{do: func() (int, error) {
			var proof string
			if i := next.Add(1) - 1; i < int64(len(pool)) {
				proof = pool[i]
			} else if proof, err = sign(); err != nil {
				return 0, err
			}
			req.Header["Dpop"] = []string{proof}
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

// dpopLogin logs in with a proof by s and returns the bound access token.
func dpopLogin(c *http.Client, o opts, cr credentials, s *dpop.Signer) (string, error) {
	body, err := json.Marshal(cr)
	if err != nil {
		return "", err
	}
	nonce := ""
	for range 2 { // a second time with the server's nonce under --dpop-nonce
		proof, err := s.Sign(http.MethodPost, o.url+"/v1/login", "", nonce)
		if err != nil {
			return "", err
		}
		req, err := http.NewRequest(http.MethodPost, o.url+"/v1/login", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("DPoP", proof)
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		var p struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			Error       string `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		if p.Error == "use_dpop_nonce" && nonce == "" {
			nonce = resp.Header.Get("DPoP-Nonce")
			continue
		}
		if resp.StatusCode != http.StatusOK || p.TokenType != "DPoP" {
			return "", fmt.Errorf("DPoP login %s: status %d, token_type %q, error %q", cr.Username, resp.StatusCode, p.TokenType, p.Error)
		}
		return p.AccessToken, nil
	}
	return "", fmt.Errorf("DPoP login %s: nonce refused", cr.Username)
}

// presign makes n proofs on every CPU.
func presign(n int, sign func() (string, error)) ([]string, error) {
	pool := make([]string, n)
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for i := w; i < n; i += len(errs) {
				if pool[i], errs[w] = sign(); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return pool, nil
}
