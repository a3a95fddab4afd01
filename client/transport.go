package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Transport is an http.RoundTripper for requests to Gatehouse or to
// resource servers that accept its access tokens. It sets
// "Authorization: Bearer <access token>" from Tokens and, when the answer
// is 401 token_expired, refreshes the pair and sends the request once
// more.
//
// When the stored tokens are DPoP-bound (Tokens.DPoPKey, see WithDPoP),
// every request, the refresh included, carries "Authorization: DPoP
// <access token>" and a fresh DPoP proof signed with that key for its
// method and URL (with ath, the token's hash). The latest DPoP-Nonce each
// server sent is put in the following proofs to it; an answer demanding a
// nonce (400 use_dpop_nonce, or 401 with error="use_dpop_nonce") is
// retried once with a new proof carrying the nonce it gave.
//
// The refresh is single-flight: however many requests come back expired
// at once, one POST /v1/token/refresh is made and every one of them
// retries with its result; a request that failed with an access token that
// has since been replaced retries with the new one without refreshing
// again. (Two refreshes of one refresh token would trip the server's reuse
// detection outside the grace window and end the session.)
//
// A request is retried only when its body can be sent again: no body, or
// req.GetBody set (http.NewRequest sets it for bytes, strings and their
// readers). Otherwise the 401 is returned as it came.
//
// When the refresh token is refused (invalid_refresh_token,
// refresh_token_reused, session_expired) or there is none, RoundTrip
// returns an error matching ErrLoggedOut and the store keeps only the
// device id. A refresh that fails otherwise (the network, a 503) is
// RoundTrip's error for every request that waited on it; the stored pair
// is kept, so a later request tries again.
type Transport struct {
	// Base sends the requests; nil is http.DefaultTransport.
	Base http.RoundTripper
	// Tokens holds the pair; required.
	Tokens TokenStore
	// RefreshURL is the absolute URL of POST /v1/token/refresh.
	RefreshURL string
	// RefreshTimeout bounds one refresh (default 30 s). The refresh is
	// not cancelled with the request that started it: others wait on it.
	RefreshTimeout time.Duration
	// Now is the clock of the proofs' iat (nil: time.Now).
	Now func() time.Time

	mu       sync.Mutex
	inflight *refreshCall
	nonces   nonces
	key      atomic.Pointer[parsedKey]
}

type refreshCall struct {
	done chan struct{}
	t    Tokens
	err  error
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := t.Tokens.Load(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	res, err := t.exchange(req, tok.AccessToken, tok.DPoPKey)
	if err != nil || !expired(res) {
		return res, err
	}
	retry, err := rewind(req)
	if err != nil || retry == nil {
		return res, err // cannot replay the body: the caller sees the 401
	}
	drain(res)
	fresh, err := t.renew(ctx, tok.AccessToken)
	if err != nil {
		closeBody(retry)
		return nil, err
	}
	return t.exchange(retry, fresh.AccessToken, fresh.DPoPKey)
}

// exchange sends req with the access token (and, when key is set, as a
// DPoP-bound token with a fresh proof). A proof refused for want of the
// server's nonce is signed again with the nonce the answer carried and
// sent once more, when the body can be replayed.
func (t *Transport) exchange(req *http.Request, access, key string) (*http.Response, error) {
	if key == "" {
		r := req.Clone(req.Context())
		if access != "" {
			r.Header.Set("Authorization", "Bearer "+access)
		}
		res, err := t.base().RoundTrip(r)
		if err == nil {
			t.nonces.learn(origin(req), res)
		}
		return res, err
	}
	p, err := t.prover(key)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	res, err := t.proved(req, p, access)
	if err != nil || !nonceDemanded(res) {
		return res, err
	}
	retry, err := rewind(req)
	if err != nil || retry == nil {
		return res, err
	}
	drain(res)
	return t.proved(retry, p, access)
}

// proved sends a clone of req with a proof by p (and the access token
// under the DPoP scheme), remembering the nonce of the answer.
func (t *Transport) proved(req *http.Request, p *prover, access string) (*http.Response, error) {
	o := origin(req)
	proof, err := p.sign(req.Method, htu(req), access, t.nonces.get(o), t.now())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("DPoP", proof)
	if access != "" {
		r.Header.Set("Authorization", "DPoP "+access)
	}
	res, err := t.base().RoundTrip(r)
	if err == nil {
		t.nonces.learn(o, res)
	}
	return res, err
}

// prover is the parsed key, kept while the key does not change (parsing
// PKCS#8 for every request would cost as much as signing).
func (t *Transport) prover(key string) (*prover, error) {
	if c := t.key.Load(); c != nil && c.enc == key {
		return c.p, nil
	}
	p, err := parseProver(key)
	if err != nil {
		return nil, err
	}
	t.key.Store(&parsedKey{enc: key, p: p})
	return p, nil
}

type parsedKey struct {
	enc string
	p   *prover
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Refresh refreshes the pair now (joining a refresh already under way)
// and returns the new tokens.
func (t *Transport) Refresh(ctx context.Context) (Tokens, error) {
	return t.renew(ctx, "")
}

// renew returns tokens whose access token is not used: the store's, when
// another refresh already replaced used, else those of a refresh it
// starts or joins. used == "" forces a refresh.
func (t *Transport) renew(ctx context.Context, used string) (Tokens, error) {
	t.mu.Lock()
	if c := t.inflight; c != nil {
		t.mu.Unlock()
		return c.wait(ctx)
	}
	cur, err := t.Tokens.Load(ctx)
	if err != nil {
		t.mu.Unlock()
		return Tokens{}, err
	}
	if used != "" && cur.AccessToken != "" && cur.AccessToken != used {
		t.mu.Unlock()
		return cur, nil
	}
	c := &refreshCall{done: make(chan struct{})}
	t.inflight = c
	t.mu.Unlock()

	c.t, c.err = t.refresh(context.WithoutCancel(ctx), cur)

	t.mu.Lock()
	t.inflight = nil
	t.mu.Unlock()
	close(c.done)
	return c.wait(ctx)
}

func (c *refreshCall) wait(ctx context.Context) (Tokens, error) {
	select {
	case <-c.done:
		return c.t, c.err
	case <-ctx.Done():
		return Tokens{}, ctx.Err()
	}
}

// refresh redeems cur's refresh token and stores the new pair; a refused
// one clears the store.
func (t *Transport) refresh(ctx context.Context, cur Tokens) (Tokens, error) {
	if cur.RefreshToken == "" {
		return Tokens{}, ErrLoggedOut
	}
	d := t.RefreshTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"refresh_token": cur.RefreshToken})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.RefreshURL, bytes.NewReader(body))
	if err != nil {
		return Tokens{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := t.exchange(req, "", cur.DPoPKey)
	if err != nil {
		return Tokens{}, err
	}
	var p TokenPair
	if err := decodeAnswer(res, &p); err != nil {
		if loggedOut(err) {
			if serr := t.Tokens.Save(ctx, cur.loggedOut()); serr != nil {
				return Tokens{}, serr
			}
			return Tokens{}, fmt.Errorf("%w: %w", ErrLoggedOut, err)
		}
		return Tokens{}, err
	}
	next := p.tokens(cur.DPoPKey)
	if err := t.Tokens.Save(ctx, next); err != nil {
		return Tokens{}, err
	}
	return next, nil
}

// expired reports a 401 token_expired, keeping the body readable.
func expired(res *http.Response) bool {
	return res.StatusCode == http.StatusUnauthorized && errorCode(res) == "token_expired"
}

// nonceDemanded reports an answer asking for a proof with the server's
// nonce, which it carries in DPoP-Nonce: Gatehouse's token endpoints say
// so with 400 use_dpop_nonce, resource servers with a 401 whose
// WWW-Authenticate has error="use_dpop_nonce" (RFC 9449 §8, §9).
func nonceDemanded(res *http.Response) bool {
	if res.Header.Get("DPoP-Nonce") == "" {
		return false
	}
	switch res.StatusCode {
	case http.StatusBadRequest:
		return errorCode(res) == "use_dpop_nonce"
	case http.StatusUnauthorized:
		for _, v := range res.Header.Values("WWW-Authenticate") {
			if strings.Contains(v, `error="use_dpop_nonce"`) {
				return true
			}
		}
		return errorCode(res) == "use_dpop_nonce"
	}
	return false
}

// errorCode is the error code of a JSON error answer ("" if none),
// keeping the body readable.
func errorCode(res *http.Response) string {
	orig := res.Body
	b, err := io.ReadAll(io.LimitReader(orig, 64<<10))
	res.Body = readCloser{io.MultiReader(bytes.NewReader(b), orig), orig}
	if err != nil {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	return e.Error
}

type readCloser struct {
	io.Reader
	io.Closer
}

// rewind is req ready to send again, or nil when its body cannot be
// replayed.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, nil
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = b
	return r, nil
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
