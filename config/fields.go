package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// value is a settable config value; Set parses one textual value.
type value interface {
	Set(string) error
	String() string
}

// field is one setting, known by one name everywhere: --name, GATEHOUSE_NAME
// (upper case, '-' → '_') and `name:` in the YAML file.
type field struct {
	name  string
	group string
	help  string
	val   value
	list  bool // repeatable / comma-separated
	bool  bool
}

// EnvName is the environment variable that sets flag name.
func EnvName(name string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (c *Config) fields() []field {
	return []field{
		{name: "addr", group: "Server", help: "listen address (host:port)", val: (*strVal)(&c.Addr)},
		{name: "data-dir", group: "Server", help: "directory of the embedded SQLite database", val: (*strVal)(&c.DataDir)},
		{name: "master-key-file", group: "Server", help: "32-byte key (mode 0600) that seals signing keys and secrets in the database; created if missing (default <data-dir>/master.key)", val: (*strVal)(&c.MasterKeyFile)},
		{name: "master-key", group: "Server", help: "the master key in base64 instead of a file; prefer the environment variable (a flag shows in ps)", val: (*strVal)(&c.MasterKey)},
		{name: "issuer", group: "Tokens", help: "iss of tokens (default http://<addr>)", val: (*strVal)(&c.Issuer)},
		{name: "audience", group: "Tokens", help: "aud of access tokens", val: (*strVal)(&c.Audience)},
		{name: "signing-alg", group: "Tokens", help: "EdDSA, ES256, RS256 or HS256 (HS256 keys are never published)", val: (*strVal)(&c.SigningAlg)},
		{name: "access-ttl", group: "Tokens", help: "access token lifetime; also how long a revocation is kept", val: (*durVal)(&c.AccessTTL)},
		{name: "refresh-ttl", group: "Tokens", help: "refresh token lifetime, extended on each use (never past --session-lifetime)", val: (*durVal)(&c.RefreshTTL)},
		{name: "refresh-reuse-grace", group: "Tokens", help: "a just-spent refresh token presented again this soon returns the same successor (0s: never)", val: (*durVal)(&c.RefreshReuseGrace)},
		{name: "leeway", group: "Tokens", help: "clock skew allowed on exp/nbf/iat", val: (*durVal)(&c.Leeway)},
		{name: "verify-cache-size", group: "Tokens", help: "verified-token cache bound in tokens (0: 65536, -1: off; for measurements, not production)", val: (*intVal)(&c.VerifyCacheSize)},
		{name: "key-rotation", group: "Tokens", help: "rotate the signing key this often (0: only by `gatehouse keys rotate`)", val: (*durVal)(&c.KeyRotation)},
		{name: "jwks-max-age", group: "Tokens", help: "Cache-Control max-age of the JWKS; a new key is published this long before it signs", val: (*durVal)(&c.JWKSMaxAge)},
		{name: "dpop", group: "Tokens", help: "DPoP (RFC 9449) binding: optional (a proof at login binds the tokens) or required (no bearer tokens are issued)", val: (*strVal)(&c.DPoP)},
		{name: "dpop-nonce", group: "Tokens", help: "token requests with a DPoP proof need a server nonce (DPoP-Nonce header, use_dpop_nonce)", val: (*boolVal)(&c.DPoPNonce), bool: true},
		{name: "session-lifetime", group: "Sessions", help: "absolute cap on a session, whatever the sliding", val: (*durVal)(&c.SessionLifetime)},
		{name: "idle-timeout", group: "Sessions", help: "a session unused (no refresh) this long expires", val: (*durVal)(&c.IdleTimeout)},
		{name: "max-sessions", group: "Sessions", help: "concurrent sessions per user (0: no limit)", val: (*intVal)(&c.MaxSessions)},
		{name: "max-sessions-by-role", group: "Sessions", help: "per-role limits role=N (comma-separated); a user gets the smallest of their roles", val: (*listVal)(&c.MaxSessionsByRole), list: true},
		{name: "session-overflow", group: "Sessions", help: "at the limit: evict-oldest, evict-idle (least recently used) or reject", val: (*strVal)(&c.SessionOverflow)},
		{name: "reauth-max-age", group: "Sessions", help: "how fresh auth_time must be for sensitive actions", val: (*durVal)(&c.ReauthMaxAge)},
		{name: "signup", group: "Accounts", help: "allow open signup", val: (*boolVal)(&c.Signup), bool: true},
		{name: "admin-token", group: "Accounts", help: "bearer token of the /v1/admin API (empty: admin API disabled)", val: (*strVal)(&c.AdminToken)},
		{name: "argon2-memory", group: "Accounts", help: "argon2id memory in KiB (OWASP: 19456)", val: (*intVal)(&c.Argon2Memory)},
		{name: "argon2-time", group: "Accounts", help: "argon2id iterations", val: (*intVal)(&c.Argon2Time)},
		{name: "argon2-threads", group: "Accounts", help: "argon2id parallelism", val: (*intVal)(&c.Argon2Threads)},
		{name: "hash-concurrency", group: "Accounts", help: "password hashes computed at once (0: one per CPU)", val: (*intVal)(&c.HashConcurrency)},
		{name: "hash-queue", group: "Accounts", help: "logins that may wait for a hashing slot; more answer 503 with Retry-After", val: (*intVal)(&c.HashQueue)},
		{name: "rate-user-burst", group: "Rate limits", help: "failed login/reauth/password attempts per username before limiting (0: off)", val: (*intVal)(&c.RateUserBurst)},
		{name: "rate-user-per-minute", group: "Rate limits", help: "refill of the per-username bucket", val: (*floatVal)(&c.RateUserPerMinute)},
		{name: "rate-ip-burst", group: "Rate limits", help: "failed attempts per client IP before limiting (0: off)", val: (*intVal)(&c.RateIPBurst)},
		{name: "rate-ip-per-minute", group: "Rate limits", help: "refill of the per-IP bucket", val: (*floatVal)(&c.RateIPPerMinute)},
		{name: "trusted-proxies", group: "Rate limits", help: "IPs/CIDRs whose X-Forwarded-For is believed for the client IP (comma-separated)", val: (*listVal)(&c.TrustedProxies), list: true},
		{name: "redis-url", group: "Scale-out", help: "Redis for session state: redis:// or rediss://[user:password@]host:port/db[?prefix=gh:], or a Redis Cluster: redis-cluster:// or rediss-cluster://[user:password@]host:port,host:port,...[?prefix=gh:]; users, keys and audit stay in SQLite or --postgres-url", val: (*strVal)(&c.RedisURL)},
		{name: "postgres-url", group: "Scale-out", help: "PostgreSQL for everything (users, keys, sessions, revocations, limits, audit): any number of nodes share it; search_path=<schema> in the URL picks the schema; with --redis-url it keeps users, keys and audit", val: (*strVal)(&c.PostgresURL)},
		{name: "allowed-origins", group: "Browser", help: "extra origins allowed for cookie mode and CORS (comma-separated)", val: (*listVal)(&c.AllowedOrigins), list: true},
		{name: "cookie-domain", group: "Browser", help: "Domain of the jwt-cookie mode's access cookie", val: (*strVal)(&c.CookieDomain)},
		{name: "ui", group: "Browser", help: "serve the HTML pages (/login, /signup, /account, /reauth) and /gatehouse.js", val: (*boolVal)(&c.UI), bool: true},
		{name: "insecure-cookies", group: "Browser", help: "drop Secure from cookies on plain-http hosts other than localhost (development only)", val: (*boolVal)(&c.InsecureCookies), bool: true},
		{name: "proxy", group: "Gateway", help: "PREFIX=URL gateway route, repeatable", val: (*listVal)(&c.Proxy), list: true},
		{name: "verify-rule", group: "Gateway", help: "PATH_PREFIX=role,… roles GET /v1/verify requires for the forwarded URI (longest prefix wins), repeatable", val: (*repVal)(&c.VerifyRule), list: true},
		{name: "feed-token", group: "Gateway", help: "bearer token for GET /v1/revocations besides the admin token", val: (*strVal)(&c.FeedToken)},
		{name: "audit-retention", group: "Audit", help: "how long session events are kept", val: (*durVal)(&c.AuditRetention)},
		{name: "webhook", group: "Audit", help: "URL that receives session events as signed JSON POSTs", val: (*strVal)(&c.Webhook)},
		{name: "webhook-secret", group: "Audit", help: "HMAC-SHA256 key of the Gatehouse-Signature header", val: (*strVal)(&c.WebhookSecret)},
		{name: "webhook-events", group: "Audit", help: "event types sent to the webhook (comma-separated; default: all)", val: (*listVal)(&c.WebhookEvents), list: true},
		{name: "sweep-interval", group: "Operations", help: "how often expired sessions and revocations are deleted", val: (*durVal)(&c.SweepInterval)},
		{name: "log-format", group: "Operations", help: "text or json", val: (*strVal)(&c.LogFormat)},
		{name: "log-level", group: "Operations", help: "debug, info, warn or error", val: (*strVal)(&c.LogLevel)},
	}
}

type strVal string

func (v *strVal) Set(s string) error { *v = strVal(s); return nil }
func (v *strVal) String() string     { return string(*v) }

type intVal int

func (v *intVal) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intVal(n)
	return nil
}
func (v *intVal) String() string { return strconv.Itoa(int(*v)) }

type floatVal float64

func (v *floatVal) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*v = floatVal(f)
	return nil
}
func (v *floatVal) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type boolVal bool

func (v *boolVal) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolVal(b)
	return nil
}
func (v *boolVal) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolVal) IsBoolFlag() bool { return true }

// durVal accepts Go durations ("15m", "10s", "0s") and bare seconds ("30"),
// since API.md says durations are integer seconds.
type durVal time.Duration

func (v *durVal) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v = durVal(time.Duration(n) * time.Second)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s, 15m or 336h", s)
	}
	*v = durVal(d)
	return nil
}
func (v *durVal) String() string { return time.Duration(*v).String() }

// listVal is comma-separated and repeatable; each source replaces the
// previous source's list as a whole (see Load).
type listVal []string

func (v *listVal) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*v = append(*v, part)
		}
	}
	return nil
}
func (v *listVal) String() string { return strings.Join(*v, ",") }
func (v *listVal) reset()         { *v = nil }

// repVal is repeatable but not comma-separated: one value may hold commas
// (--verify-rule /admin/=admin,ops). Each source replaces the previous
// source's list as a whole, like listVal.
type repVal []string

func (v *repVal) Set(s string) error {
	if s = strings.TrimSpace(s); s != "" {
		*v = append(*v, s)
	}
	return nil
}
func (v *repVal) String() string { return strings.Join(*v, " ") }
func (v *repVal) reset()         { *v = nil }

// Names lists every setting's name, in help order.
func Names() []string {
	c := Defaults()
	var out []string
	for _, f := range c.fields() {
		out = append(out, f.name)
	}
	return out
}
