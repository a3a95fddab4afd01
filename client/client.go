package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one Gatehouse server. It is safe for concurrent use.
type Client struct {
	base      string
	tokens    TokenStore
	transport *Transport
	user      *http.Client // through the Transport: bearer + refresh
	plain     *http.Client // no credential, or the admin token
	admin     string
	dpop      DPoPAlg // "": bearer logins
	now       func() time.Time
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient sends requests with hc (its Transport becomes the
// Transport's Base; its timeout and redirect policy are kept).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.plain = hc }
}

// WithTokenStore keeps tokens in s (default: a MemoryStore).
func WithTokenStore(s TokenStore) Option {
	return func(c *Client) { c.tokens = s }
}

// WithAdminToken sets the admin bearer token (GATEHOUSE_ADMIN_TOKEN) for
// the admin methods and Introspect.
func WithAdminToken(token string) Option {
	return func(c *Client) { c.admin = token }
}

// WithDPoP makes logins bind the session to a private key of algorithm
// alg (DPoPEdDSA when "", or DPoPES256) that the client generates and
// keeps with the tokens in its TokenStore (RFC 9449). Every request with
// the bound tokens then carries a proof signed with it, so a stolen access
// or refresh token is useless without the key. A server that does not
// bind (it answers token_type Bearer) gets bearer requests as before.
func WithDPoP(alg DPoPAlg) Option {
	return func(c *Client) {
		if alg == "" {
			alg = DPoPEdDSA
		}
		c.dpop = alg
	}
}

// WithClock sets the clock of the DPoP proofs' iat (default time.Now):
// for tests that move a server's clock, or a device whose clock is known
// to be off.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// New is a client of the server at baseURL ("https://auth.example.com").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/")}
	for _, o := range opts {
		o(c)
	}
	if c.tokens == nil {
		c.tokens = &MemoryStore{}
	}
	if c.plain == nil {
		c.plain = &http.Client{Timeout: time.Minute}
	}
	c.transport = &Transport{Base: c.plain.Transport, Tokens: c.tokens, RefreshURL: c.base + "/v1/token/refresh", Now: c.now}
	user := *c.plain
	user.Transport = c.transport
	c.user = &user
	return c
}

// Transport is the client's RoundTripper: use it in an http.Client to
// call resource servers with the same tokens and the same single-flight
// refresh.
func (c *Client) Transport() *Transport { return c.transport }

// Tokens is the store the client keeps its tokens in.
func (c *Client) Tokens() TokenStore { return c.tokens }

// credential says how a call authenticates.
type credential int

const (
	asNobody credential = iota
	asUser              // the access token, through the Transport
	asAdmin             // the admin token
)

// call sends one request and decodes a 2xx answer into out (when not
// nil). in is a JSON body, url.Values a form body, nil none.
func (c *Client) call(ctx context.Context, method, path string, who credential, in, out any) error {
	hc := c.plain
	switch who {
	case asUser:
		hc = c.user
	case asAdmin:
		return c.send(ctx, hc, method, path, "Bearer "+c.admin, in, out)
	}
	return c.send(ctx, hc, method, path, "", in, out)
}

// proved is call for a token request without an access token that is
// proved with the DPoP key key.
func (c *Client) proved(ctx context.Context, path, key string, in, out any) error {
	hc := *c.plain
	hc.Transport = keyTransport{t: c.transport, key: key}
	return c.send(ctx, &hc, "POST", path, "", in, out)
}

// keyTransport sends requests with a proof by key and no access token.
type keyTransport struct {
	t   *Transport
	key string
}

func (k keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return k.t.exchange(r, "", k.key)
}

// send sends one request through hc with the Authorization header auth
// (when not "").
func (c *Client) send(ctx context.Context, hc *http.Client, method, path, auth string, in, out any) error {
	var body io.Reader
	ctype := ""
	switch v := in.(type) {
	case nil:
	case url.Values:
		body, ctype = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && errors.Is(err, ErrLoggedOut) {
			return ue.Err // no URL wrapping for the session's end
		}
		return err
	}
	return decodeAnswer(res, out)
}

// fromHeader is an answer carried in headers rather than a body (GET
// /v1/verify's 200).
type fromHeader interface{ fromHeader(http.Header) error }

// decodeAnswer reads res: a 2xx into out (from its headers when out is a
// fromHeader), anything else into *Error.
func decodeAnswer(res *http.Response, out any) error {
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 == 2 {
		if h, ok := out.(fromHeader); ok {
			return h.fromHeader(res.Header)
		}
		if out == nil || len(b) == 0 {
			return nil
		}
		return json.Unmarshal(b, out)
	}
	return parseError(res, b)
}

func parseError(res *http.Response, b []byte) *Error {
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		SessionLimit
	}
	e := &Error{Status: res.StatusCode}
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Code, e.Message = body.Error, body.Message
	} else {
		e.Code, e.Message = "", strings.TrimSpace(string(b))
		if e.Message == "" {
			e.Message = http.StatusText(res.StatusCode)
		}
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	if e.Code == "session_limit" {
		l := body.SessionLimit
		e.Limit = &l
	}
	return e
}
