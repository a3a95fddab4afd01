package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of a Gatehouse node.
type Config struct {
	Addr       string
	DataDir    string
	Issuer     string
	Audience   string
	SigningAlg string

	AccessTTL         time.Duration
	RefreshTTL        time.Duration
	SessionLifetime   time.Duration
	IdleTimeout       time.Duration
	RefreshReuseGrace time.Duration
	Leeway            time.Duration
	// VerifyCacheSize bounds the verified-token cache (token.Options.CacheSize:
	// 0 default, negative off). Turning it off is for load measurements.
	VerifyCacheSize   int
	MaxSessions       int
	MaxSessionsByRole []string // role=N
	SessionOverflow   string
	ReauthMaxAge      time.Duration
	Signup            bool

	KeyRotation time.Duration
	JWKSMaxAge  time.Duration

	// DPoP is --dpop: "optional" (a token request with a proof gets a
	// bound pair) or "required" (no bearer tokens are issued).
	DPoP string
	// DPoPNonce is --dpop-nonce: token requests need a server nonce.
	DPoPNonce bool

	RedisURL       string
	PostgresURL    string
	AllowedOrigins []string
	CookieDomain   string
	Proxy          []string
	// Routes are gateway routes with options, from the YAML file's
	// `routes:` list (see Route); --proxy adds routes with the defaults.
	Routes         []Route
	VerifyRule     []string // PATH_PREFIX=role,…
	FeedToken      string
	AdminToken     string
	TrustedProxies []string

	// MasterKeyFile holds the 32-byte master key that seals signing keys and
	// server secrets in the store; empty means <DataDir>/master.key.
	MasterKeyFile string
	// MasterKey is the master key in standard base64, for deployments that
	// inject secrets through the environment; it wins over MasterKeyFile.
	MasterKey string

	Argon2Memory    int // KiB
	Argon2Time      int
	Argon2Threads   int
	HashConcurrency int
	HashQueue       int

	RateUserBurst     int
	RateUserPerMinute float64
	RateIPBurst       int
	RateIPPerMinute   float64

	AuditRetention time.Duration
	Webhook        string
	WebhookSecret  string
	WebhookEvents  []string

	SweepInterval   time.Duration
	InsecureCookies bool
	// UI serves the HTML pages (/login, /signup, /account, /reauth) and
	// /gatehouse.js in front of the JSON API.
	UI        bool
	LogFormat string
	LogLevel  string
}

// MinAdminTokenLen is the shortest --admin-token accepted, in bytes.
const MinAdminTokenLen = 32

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DataDir:           "./data",
		Audience:          "gatehouse",
		SigningAlg:        "EdDSA",
		AccessTTL:         15 * time.Minute,
		RefreshTTL:        336 * time.Hour,
		SessionLifetime:   720 * time.Hour,
		IdleTimeout:       168 * time.Hour,
		RefreshReuseGrace: 10 * time.Second,
		Leeway:            30 * time.Second,
		MaxSessions:       100,
		SessionOverflow:   "evict-oldest",
		ReauthMaxAge:      10 * time.Minute,
		Signup:            true,
		UI:                true,
		JWKSMaxAge:        5 * time.Minute,
		DPoP:              "optional",
		Argon2Memory:      19 * 1024,
		Argon2Time:        2,
		Argon2Threads:     1,
		HashQueue:         1024,
		RateUserBurst:     10,
		RateUserPerMinute: 6,
		RateIPBurst:       60,
		RateIPPerMinute:   60,
		SweepInterval:     time.Minute,
		AuditRetention:    720 * time.Hour,
		LogFormat:         "text",
		LogLevel:          "info",
	}
}

// MasterKeyPath is --master-key-file, or <data-dir>/master.key when unset.
func (c *Config) MasterKeyPath() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// IssuerOrDefault is --issuer, or http://<addr> when unset.
func (c *Config) IssuerOrDefault() string {
	if c.Issuer != "" {
		return c.Issuer
	}
	return "http://" + c.Addr
}

// Validate reports every bad value at once, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, a...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "%q is not host:port", c.Addr)
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	if c.MasterKey != "" {
		if k, err := base64.StdEncoding.Strict().DecodeString(c.MasterKey); err != nil || len(k) != 32 {
			bad("master-key", "must be 32 bytes in standard base64 (head -c 32 /dev/urandom | base64)")
		}
	}
	if c.Issuer != "" {
		if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("issuer", "%q is not an http(s) URL", c.Issuer)
		}
	}
	if c.Audience == "" {
		bad("audience", "must not be empty")
	}
	switch c.SigningAlg {
	case "EdDSA", "ES256", "RS256", "HS256":
	default:
		bad("signing-alg", "%q is not one of EdDSA, ES256, RS256, HS256", c.SigningAlg)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"access-ttl", c.AccessTTL}, {"refresh-ttl", c.RefreshTTL},
		{"session-lifetime", c.SessionLifetime}, {"idle-timeout", c.IdleTimeout},
		{"reauth-max-age", c.ReauthMaxAge}, {"jwks-max-age", c.JWKSMaxAge},
		{"sweep-interval", c.SweepInterval}, {"audit-retention", c.AuditRetention},
	} {
		if d.v <= 0 {
			bad(d.flag, "must be a positive duration, got %s", d.v)
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"refresh-reuse-grace", c.RefreshReuseGrace}, {"leeway", c.Leeway}, {"key-rotation", c.KeyRotation}} {
		if d.v < 0 {
			bad(d.flag, "must not be negative, got %s", d.v)
		}
	}
	if c.KeyRotation > 0 && c.KeyRotation <= c.JWKSMaxAge {
		bad("key-rotation", "must be longer than --jwks-max-age (%s) so the next key is published before it signs", c.JWKSMaxAge)
	}
	if c.MaxSessions < 0 {
		bad("max-sessions", "must be 0 (no limit) or more")
	}
	switch c.DPoP {
	case "optional", "required":
	default:
		bad("dpop", "%q is not optional or required", c.DPoP)
	}
	switch c.SessionOverflow {
	case "evict-oldest", "evict-idle", "reject":
	default:
		bad("session-overflow", "%q is not one of evict-oldest, evict-idle, reject", c.SessionOverflow)
	}
	if _, err := c.RoleLimits(); err != nil {
		bad("max-sessions-by-role", "%v", err)
	}
	if c.Webhook != "" {
		if u, err := url.Parse(c.Webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("webhook", "%q is not an http(s) URL", c.Webhook)
		}
		if len(c.WebhookSecret) < 16 {
			bad("webhook-secret", "must be set (at least 16 characters) when --webhook is set")
		}
	}
	// An admin token is a shared secret with no username and no rate of
	// guesses it cannot sustain; 32 bytes (256 bits from a CSPRNG, e.g.
	// `openssl rand -base64 32`) keeps online guessing hopeless.
	if c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLen {
		bad("admin-token", "must be at least %d bytes (got %d); generate one with `openssl rand -base64 32`, or leave it empty to disable the admin API",
			MinAdminTokenLen, len(c.AdminToken))
	}
	// The feed token is the same kind of secret (it reads every logout's
	// user and session ids), under the same rule.
	if c.FeedToken != "" && len(c.FeedToken) < MinAdminTokenLen {
		bad("feed-token", "must be at least %d bytes (got %d); generate one with `openssl rand -base64 32`, or leave it empty (the admin token still reads the feed)",
			MinAdminTokenLen, len(c.FeedToken))
	}
	c.validateCosts(bad)
	c.validateLists(bad)
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return errors.Join(errs...)
}

func (c *Config) validateCosts(bad func(string, string, ...any)) {
	if c.Argon2Memory < 8 || c.Argon2Memory > 4<<20 {
		bad("argon2-memory", "must be 8 to 4194304 KiB, got %d", c.Argon2Memory)
	}
	if c.Argon2Time < 1 || c.Argon2Time > 100 {
		bad("argon2-time", "must be 1 to 100, got %d", c.Argon2Time)
	}
	if c.Argon2Threads < 1 || c.Argon2Threads > 255 {
		bad("argon2-threads", "must be 1 to 255, got %d", c.Argon2Threads)
	}
	// argon2 needs 8 KiB per lane; the password package refuses less rather
	// than let x/crypto silently round m up (the recorded cost would lie).
	// The bound is repeated here because config imports nothing of ours.
	if c.Argon2Threads >= 1 && c.Argon2Memory >= 8 && c.Argon2Memory < 8*c.Argon2Threads {
		bad("argon2-memory", "must be at least 8 KiB per thread (%d KiB with --argon2-threads %d), got %d",
			8*c.Argon2Threads, c.Argon2Threads, c.Argon2Memory)
	}
	if c.HashConcurrency < 0 {
		bad("hash-concurrency", "must be 0 (one per CPU) or more")
	}
	if c.HashQueue < 0 {
		bad("hash-queue", "must not be negative")
	}
	if c.RateUserBurst < 0 || c.RateIPBurst < 0 || c.RateUserPerMinute < 0 || c.RateIPPerMinute < 0 {
		bad("rate-*", "rate limits must not be negative (0 disables that limit)")
	}
}

func (c *Config) validateLists(bad func(string, string, ...any)) {
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("allowed-origins", "%q is not an origin like https://app.example.com", o)
		}
	}
	if _, err := c.GatewayRoutes(); err != nil {
		bad("proxy", "%v", err)
	}
	if _, err := c.VerifyRules(); err != nil {
		bad("verify-rule", "%v", err)
	}
	for _, cidr := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(cidr); err != nil && net.ParseIP(cidr) == nil {
			bad("trusted-proxies", "%q is not an IP or CIDR", cidr)
		}
	}
}

// RoleLimits parses --max-sessions-by-role (role=N,...).
func (c *Config) RoleLimits() (map[string]int, error) {
	out := make(map[string]int, len(c.MaxSessionsByRole))
	for _, kv := range c.MaxSessionsByRole {
		role, n, ok := strings.Cut(kv, "=")
		v, err := strconv.Atoi(n)
		if !ok || role == "" || err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not role=N with N ≥ 1", kv)
		}
		out[role] = v
	}
	return out, nil
}
