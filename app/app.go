package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/gateway"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/keys"
	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/revoke"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/web"
	"github.com/gatehouse/gatehouse/webhook"
)

// App is an assembled node.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Store   store.Store
	Keys    *keys.Manager
	Revoked *revoke.Set
	Metrics *metrics.Metrics
	Service *authn.Service
	Hasher  *password.Hasher
	Audit   *audit.Recorder
	Webhook *webhook.Sender // nil without --webhook
	// Gateway serves the --proxy / YAML routes in front of everything else.
	Gateway *gateway.Gateway
	Now     func() time.Time
	// Seal holds the master key: it seals signing keys and server secrets
	// before they reach Store.
	Seal *seal.Box

	// pushed receives (coalesced) when the store announces a revocation
	// committed by any node (PostgreSQL LISTEN/NOTIFY, see pushwatch.go).
	pushed chan struct{}

	// syncEvery is the revocation sync's safety-net period (0: a second);
	// tests lengthen it to show that a local revocation needs no tick.
	syncEvery time.Duration

	// health is the last background store ping (storehealth.go), read by
	// /readyz and gatehouse_store_up.
	health storeHealth
	// usersHealth is the users store's part of it when the session state
	// is in Redis (nil error otherwise): gatehouse_users_store_up.
	usersHealth storeHealth
	// epoch is the session store's epoch as last seen (epoch.go).
	epoch epochWatch
}

// DBPath is where the embedded database lives.
func DBPath(c config.Config) string { return filepath.Join(c.DataDir, "gatehouse.db") }

// Open assembles a node on its store, running the whole key schedule (the
// server). now may be nil (time.Now).
func Open(ctx context.Context, c config.Config, log *slog.Logger, now func() time.Time) (*App, error) {
	return OpenAs(ctx, c, log, now, keys.Scheduler)
}

// OpenAs is Open for a process that must not run the whole key schedule:
// admin commands open with keys.Admin (may add a key, never retire or
// delete one: their --access-ttl need not be the server's), read-only
// commands with keys.Reader (write no key).
func OpenAs(ctx context.Context, c config.Config, log *slog.Logger, now func() time.Time, role keys.Role) (*App, error) {
	if now == nil {
		now = time.Now
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	a := &App{Config: c, Log: log, Store: st, Now: now, Revoked: revoke.New(), Metrics: metrics.New(),
		pushed: make(chan struct{}, 1)}
	if err := a.assemble(ctx, role); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) assemble(ctx context.Context, role keys.Role) error {
	c := a.Config
	mk, err := openMasterKey(c, a.Log)
	if err != nil {
		return err
	}
	a.Seal = mk.box
	if mk.created != "" && c.PostgresURL != "" {
		a.Log.Warn("with --postgres-url every node must have the same master key: give each node this one (GATEHOUSE_MASTER_KEY or the file) before starting another", "path", mk.created)
	}
	a.Keys = keys.NewManager(a.Store, a.Seal, keys.Config{
		Alg: c.SigningAlg, TokenLifetime: c.AccessTTL + c.Leeway, CacheLifetime: c.JWKSMaxAge,
		RotateEvery: c.KeyRotation, Now: a.Now, Logger: a.Log, Role: role,
	})
	if err := a.Keys.Init(ctx); err != nil {
		return mk.explain(StoreLocation(c), fmt.Errorf("signing keys: %w", err))
	}
	secret, err := keys.Secret(ctx, a.Store, a.Seal, "refresh-successor", 32)
	if err != nil {
		return mk.explain(StoreLocation(c), fmt.Errorf("server secret: %w", err))
	}
	if err := a.Revoked.Sync(ctx, a.Store, a.Now()); err != nil {
		return fmt.Errorf("load revocations: %w", err)
	}
	if err := a.checkEpoch(ctx); err != nil {
		return fmt.Errorf("session store epoch: %w", err)
	}
	var sinks []audit.Sink
	if c.Webhook != "" {
		a.Webhook, err = webhook.New(webhook.Config{
			URL: c.Webhook, Secret: []byte(c.WebhookSecret), Types: c.WebhookEvents, Logger: a.Log, Now: a.Now,
		})
		if err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
		sinks = append(sinks, a.Webhook)
	}
	a.Audit = audit.New(a.Store, a.Log, 0, sinks...)
	a.Hasher, err = password.NewHasher(password.Params{
		Memory: uint32(c.Argon2Memory), Time: uint32(c.Argon2Time), Threads: uint8(c.Argon2Threads),
		SaltLen: 16, KeyLen: 32,
	}, c.HashConcurrency, c.HashQueue)
	if err != nil {
		return fmt.Errorf("password hashing: %w", err)
	}
	dpopResource, dpopTokens, err := a.dpopCheckers(ctx)
	if err != nil {
		return mk.explain(StoreLocation(c), fmt.Errorf("DPoP nonce secret: %w", err))
	}
	a.Service, err = authn.New(authn.Deps{
		Store: a.Store, Hasher: a.Hasher, Keys: a.Keys, Revoked: a.Revoked, Metrics: a.Metrics,
		Log: a.Log, Now: a.Now, Secret: secret, Policy: Policy(c), Audit: a.Audit,
		DPoP: dpopResource, DPoPToken: dpopTokens,
	})
	if err != nil {
		return err
	}
	if err := a.openGateway(); err != nil {
		return err
	}
	a.gauges()
	a.countSessions(ctx)
	return nil
}

// ownPaths are Gatehouse's own path prefixes, which no gateway route may
// capture.
func ownPaths() []string {
	return append([]string{"/v1/", "/.well-known/", "/healthz", "/readyz", "/metrics"}, web.Paths()...)
}

func (a *App) openGateway() error {
	routes, err := a.Config.GatewayRoutes()
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	c := a.Config
	if !c.UI { // no /login to send browsers to
		no := false
		for i := range routes {
			routes[i].RedirectHTML = &no
		}
	}
	a.Gateway, err = gateway.New(gateway.Options{
		Routes: routes, Service: a.Service,
		Cookies:        browser.Cookies{Insecure: c.InsecureCookies, Domain: c.CookieDomain},
		AllowedOrigins: c.AllowedOrigins, Reserved: ownPaths(), Log: a.Log, Metrics: a.Metrics,
	})
	return err
}

// Policy translates the config into the use cases' policy.
func Policy(c config.Config) authn.Policy {
	return authn.Policy{
		Issuer: c.IssuerOrDefault(), Audience: c.Audience,
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, SessionLifetime: c.SessionLifetime,
		IdleTimeout: c.IdleTimeout, ReuseGrace: c.RefreshReuseGrace, Leeway: c.Leeway,
		VerifyCacheSize: c.VerifyCacheSize,
		MaxSessions:     c.MaxSessions, Overflow: store.Overflow(c.SessionOverflow),
		ReauthMaxAge: c.ReauthMaxAge, Signup: c.Signup, DPoPRequired: c.DPoP == "required",
		RoleLimits: roleLimits(c),
		Rates: authn.Rates{
			UserBurst: c.RateUserBurst, UserPerMinute: c.RateUserPerMinute,
			IPBurst: c.RateIPBurst, IPPerMinute: c.RateIPPerMinute,
		},
	}
}

func verifyRules(c config.Config) map[string][]string {
	m, _ := c.VerifyRules() // validated already
	return m
}

func roleLimits(c config.Config) map[string]int {
	m, _ := c.RoleLimits() // validated already
	return m
}

func (a *App) gauges() {
	a.Metrics.Gauge("gatehouse_store_up", "1 while the store answered the last background ping (every second), 0 while it does not.", a.storeUp)
	a.Metrics.Gauge("gatehouse_users_store_up", "1 while the users store (users, keys, audit) answered the last background ping; with sessions in Redis, 0 says it is the users store that is down (login and signup answer 503, refresh, logout and verify go on).", a.usersStoreUp)
	a.Metrics.Gauge("gatehouse_revocations", "Entries in the local revocation set.", func() float64 { return float64(a.Revoked.Len()) })
	a.Metrics.Gauge("gatehouse_hash_queue_depth", "Password hashes waiting for a slot.", func() float64 { return float64(a.Hasher.QueueDepth()) })
	a.Metrics.Gauge("gatehouse_hash_in_flight", "Password hashes running now.", func() float64 { return float64(a.Hasher.InFlight()) })
	a.Metrics.Gauge("gatehouse_audit_pending", "Audit events waiting to be written.", func() float64 { return float64(a.Audit.Pending()) })
	a.Metrics.Gauge("gatehouse_audit_dropped", "Audit events dropped because the queue was full (store down too long).", func() float64 { return float64(a.Audit.Dropped()) })
	if a.Webhook != nil {
		a.Metrics.Gauge("gatehouse_webhook_delivered", "Webhook events delivered.", func() float64 { return float64(a.Webhook.Delivered()) })
		a.Metrics.Gauge("gatehouse_webhook_dropped", "Webhook events given up on (queue full, permanent failure or attempts exhausted).", func() float64 { return float64(a.Webhook.Dropped()) })
	}
}

// countSessions sets the gatehouse_sessions gauge from one COUNT. It runs at
// start and after each sweep, so scrapes read a number and never query the
// store; on error the previous value stays (the failure is logged).
func (a *App) countSessions(ctx context.Context) {
	n, err := a.Store.CountSessions(ctx)
	if err != nil {
		a.Log.Warn("counting sessions for metrics failed", "err", err)
		return
	}
	a.Metrics.Sessions.Set(float64(n))
}

// Handler is the node's HTTP handler: the gateway's routes first, then the
// JSON API, and with --ui the HTML pages in front of it on their own paths
// (web.Paths); every other path is the API's.
func (a *App) Handler() http.Handler {
	api := a.API()
	a.Gateway.SetRequestInfo(api.Self, func(r *http.Request) string { return api.Client(r).IP })
	if !a.Config.UI {
		return a.Gateway.Wrap(api)
	}
	pages := web.New(a.Service, web.Options{
		Cookies:        browser.Cookies{Insecure: a.Config.InsecureCookies, Domain: a.Config.CookieDomain},
		AllowedOrigins: a.Config.AllowedOrigins,
		Self:           api.Self,
		Client:         api.Client,
		Log:            a.Log,
		Metrics:        a.Metrics,
	})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	for _, p := range web.Paths() {
		mux.Handle(p, pages)
	}
	return a.Gateway.Wrap(mux)
}

// API is the JSON API alone.
func (a *App) API() *httpapi.Server {
	return httpapi.New(a.Service, httpapi.Options{
		AdminToken: a.Config.AdminToken, Issuer: a.Config.IssuerOrDefault(), SigningAlg: a.Config.SigningAlg,
		JWKSMaxAge: a.Config.JWKSMaxAge, TrustedProxies: a.Config.TrustedProxies,
		Log: a.Log, Metrics: a.Metrics, Store: a.Store,
		AllowedOrigins: a.Config.AllowedOrigins, CookieDomain: a.Config.CookieDomain, InsecureCookies: a.Config.InsecureCookies,
		VerifyRules: verifyRules(a.Config),
		FeedToken:   a.Config.FeedToken,
		Ready:       a.health.Err,
	})
}

// Background runs the sweeper, the key schedule and the revocation-set
// upkeep until ctx ends.
func (a *App) Background(ctx context.Context) {
	go a.Keys.Run(ctx, keyReloadEvery(a.Config))
	go a.Audit.Run(ctx, 100*time.Millisecond)
	if a.Webhook != nil {
		go a.Webhook.Run(ctx)
	}
	a.watchPushes(ctx)
	go a.watchStore(ctx, time.Second)
	if w, ok := a.Store.(logWaiter); ok {
		go a.followLog(ctx, w)
	}
	sweep := time.NewTicker(a.Config.SweepInterval)
	defer sweep.Stop()
	// Revocations written by another process on the same store (the CLI, a
	// second node) reach this node's set within a second: one indexed query.
	// A revocation written here kicks the loop, so subscribers read it from
	// the log within milliseconds; the tick is the safety net.
	sync := time.NewTicker(cmp.Or(a.syncEvery, time.Second))
	defer sync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sync.C:
			a.syncRevocations(ctx)
		case <-a.Revoked.Kicked():
			a.readRevocationLog(ctx)
		case <-a.pushed:
			a.readRevocationLog(ctx)
		case <-sweep.C:
			a.sweep(ctx)
		}
	}
}

// syncRevocations drops dead entries and reads the log.
func (a *App) syncRevocations(ctx context.Context) {
	a.Revoked.Prune(a.Now())
	a.readRevocationLog(ctx)
}

// readRevocationLog reads the revocation log after the set's cursor.
func (a *App) readRevocationLog(ctx context.Context) {
	if err := a.Revoked.Sync(ctx, a.Store, a.Now()); err != nil {
		a.Log.Warn("revocation sync failed", "err", err)
	}
}

func keyReloadEvery(c config.Config) time.Duration {
	d := c.JWKSMaxAge / 4
	if d > time.Minute {
		d = time.Minute
	}
	if d < time.Second {
		d = time.Second
	}
	return d
}

func (a *App) sweep(ctx context.Context) {
	if _, err := a.Service.PruneEvents(ctx, a.Config.AuditRetention); err != nil {
		a.Log.Warn("audit prune failed", "err", err)
	}
	n, err := a.Store.Sweep(ctx, a.Now(), a.Config.IdleTimeout)
	if err != nil {
		a.Log.Warn("sweep failed", "err", err)
	} else if n > 0 {
		a.Log.Debug("swept expired rows", "rows", n)
	}
	a.countSessions(ctx)
}

// Close writes pending audit events and releases the store.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Audit.Flush(ctx); err != nil {
		a.Log.Warn("audit events lost at close", "err", err, "pending", a.Audit.Pending())
	}
	return a.Store.Close()
}

// Logger builds the process logger from the config.
func Logger(c config.Config, w *os.File) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Describe is the startup line's facts.
func (a *App) Describe() []any {
	k := a.Keys.Ring().Signer()
	kid := ""
	if k != nil {
		kid = k.ID
	}
	// What is stored where: everything in the one store, or the session
	// state in Redis and users, keys and the audit trail in the other.
	stores := "users,keys,sessions,revocations,limits,challenges,audit"
	if a.Config.RedisURL != "" {
		stores = "redis:sessions,revocations,limits,challenges db:users,keys,audit"
	}
	return []any{"store", StoreKind(a.Config), "db", StoreLocation(a.Config),
		"stores", stores, "signing_alg", a.Config.SigningAlg, "kid", kid,
		"issuer", a.Config.IssuerOrDefault(), "cpus", runtime.NumCPU()}
}
