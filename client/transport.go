package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Transport is an http.RoundTripper for requests to Gatehouse or to
// resource servers that accept its access tokens. It sets
// "Authorization: Bearer <access token>" from Tokens and, when the answer
// is 401 token_expired, refreshes the pair and sends the request once
// more.
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

	mu       sync.Mutex
	inflight *refreshCall
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
	res, err := t.send(req, tok.AccessToken)
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
	return t.send(retry, fresh.AccessToken)
}

// send clones req with the access token set (a RoundTripper must not
// change the caller's request).
func (t *Transport) send(req *http.Request, access string) (*http.Response, error) {
	r := req.Clone(req.Context())
	if access != "" {
		r.Header.Set("Authorization", "Bearer "+access)
	}
	return t.base().RoundTrip(r)
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
	res, err := t.base().RoundTrip(req)
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
	next := Tokens{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, SessionID: p.SessionID, DeviceID: p.DeviceID}
	if err := t.Tokens.Save(ctx, next); err != nil {
		return Tokens{}, err
	}
	return next, nil
}

// expired reports a 401 token_expired, keeping the body readable.
func expired(res *http.Response) bool {
	if res.StatusCode != http.StatusUnauthorized {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return false
	}
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(b, &e) == nil && e.Error == "token_expired"
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
