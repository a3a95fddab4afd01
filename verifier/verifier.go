package verifier

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/token"
)

// Claims are a verified access token's claims (iss, sub, aud, jti, sid,
// preferred_username, exp, iat, nbf, auth_time, roles).
type Claims = token.Claims

// Sentinel errors. Every error Verify returns wraps exactly one of them;
// the first three are token's, so errors.Is works with either package.
var (
	// ErrInvalid: malformed, bad signature, unknown key, wrong iss/aud/alg.
	ErrInvalid = token.ErrInvalid
	// ErrExpired: past exp (plus Leeway).
	ErrExpired = token.ErrExpired
	// ErrRevoked: the session or user was revoked on Gatehouse.
	ErrRevoked = token.ErrRevoked
	// ErrStale: the revocation feed has been down longer than StaleAfter
	// and StalePolicy is FailClosed, so a revoked token cannot be told
	// from a valid one.
	ErrStale = errors.New("verifier: the revocation feed is stale")
)

// StalePolicy says what Verify does once the revocation feed has been
// disconnected for longer than Options.StaleAfter.
type StalePolicy int

const (
	// FailClosed (the default) refuses every token with ErrStale until the
	// feed is back: a logout on Gatehouse is never ignored, at the price of
	// an outage of this server while Gatehouse's feed is unreachable.
	FailClosed StalePolicy = iota
	// KeepServing goes on accepting tokens that verify, revocations made
	// during the outage unseen: availability over prompt logout. Tokens
	// still die at exp.
	KeepServing
)

// Options configure a Verifier. Issuer, Audience and one of JWKSURL or
// DiscoveryURL are required.
type Options struct {
	// Issuer and Audience must equal the tokens' iss and aud (Gatehouse's
	// --issuer and --audience). With DiscoveryURL, an empty Issuer is taken
	// from the discovery document; a non-empty one must match it.
	Issuer, Audience string
	// JWKSURL is Gatehouse's /.well-known/jwks.json; or DiscoveryURL its
	// /.well-known/openid-configuration, which names it.
	JWKSURL, DiscoveryURL string
	// FeedURL is Gatehouse's /v1/revocations and FeedToken its bearer
	// (--feed-token). Without FeedURL there is no revocation: a logged-out
	// session's tokens stay valid until exp here.
	FeedURL, FeedToken string
	// Leeway absorbs clock skew on exp, nbf and iat.
	Leeway time.Duration
	// StalePolicy applies once the feed has been down StaleAfter (default
	// 15m, Gatehouse's default access TTL: set it to --access-ttl).
	StalePolicy StalePolicy
	StaleAfter  time.Duration
	// OnStale is called when the verifier turns stale, with how long the
	// feed has been down, and with 0 when the feed is back (a metric hook).
	// It must not block.
	OnStale func(down time.Duration)
	// MinRefreshInterval bounds JWKS fetches caused by tokens with an
	// unknown kid: at most one per interval (default 10s), so a flood of
	// forged kids cannot make this server hammer Gatehouse.
	MinRefreshInterval time.Duration
	// StartTimeout bounds New's wait for the keys and the feed's replay
	// (default 10s).
	StartTimeout time.Duration
	// CacheSize bounds the verified-token cache (see token.Options).
	CacheSize int
	// HTTPClient fetches keys and follows the feed; nil means a new
	// http.Client. It must have no Timeout (the feed is one long-lived
	// response); key fetches get a 10s deadline of their own.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is this server's URL as its clients address it
	// ("https://api.example.com", or with the path prefix a proxy strips:
	// "https://example.com/api"), for the htu of DPoP proofs when the
	// server runs behind a proxy. Empty: the URL the request came to
	// (https when it came over TLS, else http; its Host; its path). Proxy
	// headers (X-Forwarded-*) are never trusted for it: a proof made for
	// another server must not pass here.
	PublicURL string
	// DPoPReplay remembers the DPoP proofs Middleware accepted so each is
	// used once; nil means an in-memory cache of DPoPReplayEntries
	// proofs (dpop.NewMemoryReplay). Replicas behind one load balancer
	// need a shared one to refuse a proof replayed on a sibling.
	DPoPReplay dpop.ReplayCache
	// DPoPReplayEntries bounds the default replay cache (0: the dpop
	// package's default). When it is full of live proofs, new proofs are
	// refused with 503 rather than a live one forgotten.
	DPoPReplayEntries int
	// Logger receives fetch and feed errors; nil means slog.Default().
	Logger *slog.Logger
}

// Verifier verifies Gatehouse access tokens locally: keys from the JWKS
// (cached, refreshed in the background), revocations from the feed (kept in
// memory), verified tokens cached. It is safe for concurrent use.
type Verifier struct {
	o      Options
	keys   *keyCache
	revs   *revSet
	tv     *token.Verifier
	proofs *dpop.Checker
	feed   *follower // nil without FeedURL
	cancel context.CancelFunc
	done   sync.WaitGroup

	reported atomic.Bool // OnStale told "stale" for the current outage
}

// New fetches the keys, follows the revocation feed until its replay is
// complete, and starts the background work, which runs until ctx ends or
// Close. It fails if the keys or the feed's replay cannot be had within
// StartTimeout, and at once if the feed refuses FeedToken.
func New(ctx context.Context, o Options) (*Verifier, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 15 * time.Minute
	}
	if o.MinRefreshInterval <= 0 {
		o.MinRefreshInterval = 10 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	start, cancelStart := context.WithTimeout(ctx, o.StartTimeout)
	defer cancelStart()
	if o.DiscoveryURL != "" {
		if err := discover(start, &o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.Issuer == "" || o.Audience == "":
		return nil, errors.New("verifier: Issuer and Audience are required")
	case o.JWKSURL == "":
		return nil, errors.New("verifier: JWKSURL or DiscoveryURL is required")
	}
	if o.PublicURL != "" {
		if _, err := dpop.NormalizeHTU(strings.TrimRight(o.PublicURL, "/") + "/"); err != nil {
			return nil, fmt.Errorf("verifier: PublicURL %q: %w", o.PublicURL, err)
		}
	}
	if o.DPoPReplay == nil {
		o.DPoPReplay = dpop.NewMemoryReplay(o.DPoPReplayEntries, o.Now)
	}
	v := &Verifier{o: o, revs: newRevSet()}
	v.proofs = dpop.New(dpop.Options{Now: o.Now, Replay: o.DPoPReplay})
	v.keys = newKeyCache(o.JWKSURL, o.HTTPClient, o.Now, o.MinRefreshInterval, o.Logger)
	if err := v.keys.fetch(start); err != nil {
		return nil, fmt.Errorf("verifier: fetching keys: %w", err)
	}
	v.tv = token.NewVerifier(v.keys, token.Options{
		Issuer: o.Issuer, Audience: o.Audience, Leeway: o.Leeway, Now: o.Now,
		Revoked: v.revs.revoked, CacheSize: o.CacheSize,
	})
	bg, cancel := context.WithCancel(ctx)
	v.cancel = cancel
	v.done.Add(1)
	go func() { defer v.done.Done(); v.keys.run(bg) }()
	if o.FeedURL != "" {
		v.feed = newFollower(v, o.FeedURL, o.FeedToken)
		v.done.Add(1)
		go func() { defer v.done.Done(); v.feed.run(bg) }()
		select {
		case <-v.feed.firstLive:
		case <-v.feed.refused:
			err := v.feed.lastError()
			v.Close()
			return nil, fmt.Errorf("verifier: the revocation feed refused FeedToken: %w", err)
		case <-start.Done():
			err := v.feed.lastError() // before Close, whose cancellation would replace it
			v.Close()
			return nil, fmt.Errorf("verifier: the revocation feed did not replay in time: %w", err)
		}
	}
	return v, nil
}

// Close stops the background work. Verify keeps working on what is cached,
// but the verifier turns stale after StaleAfter.
func (v *Verifier) Close() {
	v.cancel()
	v.done.Wait()
}

// Verify checks tok: signature with a key of the JWKS, iss, aud, exp, iat,
// nbf, then the revocation set. A token naming an unknown kid makes the
// verifier refetch the JWKS (at most once per MinRefreshInterval), so keys
// rotated on Gatehouse are picked up. With FailClosed, every token is
// refused with ErrStale while the feed is stale.
func (v *Verifier) Verify(ctx context.Context, tok string) (*Claims, error) {
	if v.feed != nil && v.o.StalePolicy == FailClosed {
		if stale, _ := v.Stale(); stale {
			return nil, ErrStale
		}
	}
	c, err := v.tv.Verify(tok)
	if err == nil || !errors.Is(err, ErrInvalid) {
		return c, err
	}
	if kid := peekKid(tok); kid != "" && !v.keys.has(kid) && v.keys.refreshUnknown(ctx) {
		return v.tv.Verify(tok)
	}
	return nil, err
}

// Stale reports whether the feed has been disconnected longer than
// StaleAfter, and how long it has been disconnected (0 while connected or
// without a feed).
func (v *Verifier) Stale() (bool, time.Duration) {
	if v.feed == nil {
		return false, 0
	}
	since := v.feed.downSince()
	if since.IsZero() {
		return false, 0
	}
	down := v.o.Now().Sub(since)
	stale := down > v.o.StaleAfter
	if stale {
		v.reportStale(down)
	}
	return stale, down
}

// reportStale calls OnStale once per outage.
func (v *Verifier) reportStale(down time.Duration) {
	if v.o.OnStale != nil && v.reported.CompareAndSwap(false, true) {
		v.o.OnStale(down)
	}
}

// recovered is called by the follower when the feed is current again.
func (v *Verifier) recovered() {
	if v.reported.CompareAndSwap(true, false) && v.o.OnStale != nil {
		v.o.OnStale(0)
	}
}

// peekKid reads the kid of a token's header, on the failure path only.
func peekKid(tok string) string {
	h, _, ok := strings.Cut(tok, ".")
	if !ok || len(h) > 1024 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.Kid
}

// discover reads issuer and jwks_uri from the discovery document.
func discover(ctx context.Context, o *Options) error {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, o.HTTPClient, o.DiscoveryURL, &doc, nil); err != nil {
		return fmt.Errorf("verifier: discovery: %w", err)
	}
	switch {
	case doc.JWKSURI == "":
		return errors.New("verifier: discovery document has no jwks_uri")
	case o.Issuer != "" && o.Issuer != doc.Issuer:
		return fmt.Errorf("verifier: discovery issuer %q is not Options.Issuer %q", doc.Issuer, o.Issuer)
	}
	o.Issuer = doc.Issuer
	if o.JWKSURL == "" {
		o.JWKSURL = doc.JWKSURI
	}
	return nil
}
