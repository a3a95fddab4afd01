package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

var _ store.Store = (*Store)(nil)

// Options tune a Store. The zero value is the production default.
type Options struct {
	// Prefix starts every key (default "gh:"); tests use a unique one each.
	Prefix string
	// CredTTL is how long Redis keeps a user's credential version after a
	// password change or deletion (default an hour): longer than any login
	// between its password check and its CreateSession.
	CredTTL time.Duration
	// Timeout bounds each Redis command (default 2s), so a stalled Redis
	// makes requests fail with store.ErrUnavailable instead of hanging.
	Timeout time.Duration
}

// Store is a store.Store with session state in Redis and users, keys and
// events in another store. It owns both: Close closes them.
type Store struct {
	store.Users
	store.Keys
	store.Events
	users store.Store
	c     rueidis.Client
	p     string
	opt   Options
	// cluster: a Redis Cluster, whose epoch is spread over the slots
	// (epoch.go).
	cluster bool
	// skew is Redis's clock minus ours in nanoseconds, measured by every
	// ping (a TIME), so the deadline passed to scripts is on Redis's clock
	// even after either clock steps.
	skew    atomic.Int64
	skewSet atomic.Bool
	// afterAppend, if set (tests), runs between a revocation's append and
	// the script that ends its session: an error stands for a crash there.
	afterAppend func() error
}

// Open connects to the Redis at rawURL and returns the composite store on
// users: redis:// or rediss:// (one Redis, with the user and password of
// the URL), or redis-cluster:// or rediss-cluster:// with a comma-separated
// list of seed nodes (a Redis Cluster; see doc.go for the slot plan).
func Open(ctx context.Context, rawURL string, users store.Store, opt Options) (*Store, error) {
	co, prefix, cluster, err := clientOption(rawURL)
	if err != nil {
		return nil, err
	}
	if opt.Prefix == "" {
		opt.Prefix = cmp.Or(prefix, "gh:")
	}
	if strings.ContainsAny(opt.Prefix, "{}") {
		return nil, errors.New("redisstore: the key prefix must not contain { or } (they delimit the Cluster hash tags)")
	}
	if opt.CredTTL <= 0 {
		opt.CredTTL = time.Hour
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Second
	}
	co.ConnWriteTimeout = opt.Timeout
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect: %w: %w", store.ErrUnavailable, err)
	}
	if cluster && c.Mode() != rueidis.ClientModeCluster {
		c.Close()
		return nil, errors.New("redisstore: the URL names a Redis Cluster but the server is not one (cluster_enabled:0); use redis://")
	}
	s := &Store{Users: users, Keys: users, Events: users, users: users, c: c, p: opt.Prefix, opt: opt, cluster: cluster}
	if err := s.ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// clientOption parses a redis:// or rediss:// URL (user and password, /db,
// and rueidis' query parameters) or a redis-cluster:// or
// rediss-cluster:// one (host:port,host:port,...: the seed nodes), and its
// own parameter prefix=, the key prefix (several deployments on one
// Redis). Client-side caching is off: every read must see the latest write
// of any node.
func clientOption(rawURL string) (co rueidis.ClientOption, prefix string, cluster bool, err error) {
	var none rueidis.ClientOption
	scheme, rest, ok := strings.Cut(rawURL, "://")
	var seeds []string
	switch {
	case !ok:
		return none, "", false, errors.New("redisstore: bad URL") // the URL may hold a password: not echoed
	case scheme == "redis" || scheme == "rediss":
	case scheme == "redis-cluster" || scheme == "rediss-cluster":
		// url.Parse refuses a comma-separated host list: take the hosts
		// out, parse the rest with the first.
		cluster = true
		scheme = strings.TrimSuffix(scheme, "-cluster")
		at := strings.LastIndex(rest[:strings.IndexAny(rest+"/?", "/?")], "@")
		end := at + 1 + strings.IndexAny(rest[at+1:]+"/?", "/?")
		seeds = strings.Split(rest[at+1:end], ",")
		if len(seeds) == 0 || seeds[0] == "" {
			return none, "", false, errors.New("redisstore: redis-cluster:// needs at least one host:port")
		}
		rest = rest[:at+1] + seeds[0] + rest[end:]
	default:
		return none, "", false, fmt.Errorf("redisstore: URL scheme %q: want redis://, rediss://, redis-cluster:// or rediss-cluster://", scheme)
	}
	u, err := url.Parse(scheme + "://" + rest)
	if err != nil {
		return none, "", false, errors.New("redisstore: bad URL")
	}
	q := u.Query()
	prefix = q.Get("prefix")
	q.Del("prefix")
	if cluster {
		if u.Path != "" && u.Path != "/" {
			return none, "", false, errors.New("redisstore: a Redis Cluster has one database: no /db in a redis-cluster:// URL")
		}
		u.Path = ""
		for _, h := range seeds[1:] {
			if _, _, err := net.SplitHostPort(h); err != nil {
				h = net.JoinHostPort(h, "6379")
			}
			q.Add("addr", h)
		}
	}
	u.RawQuery = q.Encode()
	co, err = rueidis.ParseURL(u.String())
	if err != nil {
		return none, "", false, fmt.Errorf("redisstore: bad URL: %w", err)
	}
	co.DisableCache = true
	co.ForceSingleClient = !cluster
	if cluster && co.TLSConfig != nil {
		co.TLSConfig.ServerName = "" // each node's own name, from its address
	}
	return co, prefix, cluster, nil
}

// Ping checks Redis and the users store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.ping(ctx); err != nil {
		return err
	}
	return s.users.Ping(ctx)
}

func (s *Store) ping(ctx context.Context) error { return s.measureSkew(ctx) }

// PingParts pings Redis (the session state: what refresh, logout and the
// revocation log need) and the users store (what login, signup and
// password changes also need) at once, and reports each apart, so a node
// can say which one is down (and a stalled one does not use up the other's
// deadline).
func (s *Store) PingParts(ctx context.Context) (sessions, users error) {
	done := make(chan struct{})
	go func() { defer close(done); users = s.users.Ping(ctx) }()
	sessions = s.ping(ctx)
	<-done
	return sessions, users
}

// measureSkew is the ping: it sets skew from one TIME, taken to be read
// halfway through the round trip.
func (s *Store) measureSkew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	t0 := time.Now()
	ts, err := s.c.Do(ctx, s.c.B().Time().Build()).AsIntSlice()
	t1 := time.Now()
	if err != nil || len(ts) != 2 {
		return wrap("ping", cmp.Or(err, errors.New("TIME: want two integers")))
	}
	if rtt := t1.Sub(t0); rtt < 100*time.Millisecond || !s.skewSet.Load() {
		// a slow round trip measures badly; keep the last good value
		s.skew.Store(int64(time.Unix(ts[0], ts[1]*1000).Sub(t0.Add(rtt / 2))))
		s.skewSet.Store(true)
	}
	return nil
}

// Close closes the Redis client and the users store.
func (s *Store) Close() error {
	s.c.Close()
	return s.users.Close()
}

// exec runs script on keys (a user's hash, or the log's keys: one slot)
// with the revoked list and args after the prefix, bounded by the
// timeout. The deadline goes along (deadline.lua): a script that reaches a
// stalled Redis and runs only after the caller gave up changes nothing, so
// a 503 really means nothing was changed.
func (s *Store) exec(ctx context.Context, script *rueidis.Lua, keys []string, revoked []string, args ...string) rueidis.RedisResult {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	dl, _ := ctx.Deadline()
	a := make([]string, 0, 3+len(revoked)+len(args))
	a = append(append(append(a, s.p, strconv.Itoa(len(revoked))), revoked...), args...)
	a = append(a, "dl:"+strconv.FormatInt(dl.Add(time.Duration(s.skew.Load())).UnixMicro(), 10))
	return script.Exec(ctx, s.c, keys, a)
}

// userKey is the hash holding every session, challenge and credential
// mark of user uid; its hash tag {u:<uid>} names the user's slot.
func (s *Store) userKey(uid string) string { return s.p + "{u:" + encID(uid) + "}" }

// The revocation log's keys share the tag {r}: one slot.
func (s *Store) logKeys() []string {
	return []string{s.p + "{r}:log", s.p + "{r}:seq", s.p + "{r}:sids"}
}

func (s *Store) epochKey() string { return s.p + "{r}:epoch" }

// bucketKey is a rate-limit bucket's key; all share the tag {rl}, so one
// script can take from several.
func (s *Store) bucketKey(k string) string { return s.p + "{rl}:" + k }

// globMatch escapes the prefix for SCAN MATCH.
func (s *Store) globMatch(rest string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s.p) + rest
}

// wrap prefixes err with the operation; anything that is not an answer
// from Redis (a network error, a timeout) is store.ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{store.ErrNotFound, store.ErrSessionExpired, store.ErrRefreshExpired,
		store.ErrReused, store.ErrSessionLimit, store.ErrCredentialChanged, store.ErrConflict, store.ErrUnavailable} {
		if errors.Is(err, e) {
			return fmt.Errorf("redisstore: %s: %w", op, err)
		}
	}
	if re, ok := rueidis.IsRedisErr(err); ok && strings.HasPrefix(re.Error(), "GATEHOUSE_LATE") {
		return fmt.Errorf("redisstore: %s: %w: %w", op, store.ErrUnavailable, err) // deadline.lua
	}
	if _, ok := rueidis.IsRedisErr(err); ok && !rueidis.IsRedisNil(err) {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, store.ErrUnavailable, err)
}
