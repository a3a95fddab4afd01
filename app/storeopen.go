package app

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// redisTimeout bounds each Redis command (0: the store's default, 2 s).
// Failure tests shorten it, so requests against a paused Redis answer 503
// quickly.
var redisTimeout time.Duration

// pgTimeout bounds each PostgreSQL operation (0: pgstore.DefaultTimeout,
// 5 s); failure tests shorten it like redisTimeout.
var pgTimeout time.Duration

// openStore opens the store the configuration names: PostgreSQL for
// everything with --postgres-url (any number of nodes may share it), else
// the embedded SQLite database in the data dir (one node); with
// --redis-url the session state (sessions, refresh chains, revocations,
// rate limits, challenges) moves to Redis and the other store keeps users,
// keys and the audit trail.
func openStore(ctx context.Context, c config.Config) (store.Store, error) {
	var base store.Store
	if c.PostgresURL != "" {
		st, err := pgstore.Open(ctx, c.PostgresURL, pgstore.Options{Timeout: pgTimeout})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", StoreLocation(c), err)
		}
		base = st
	} else {
		st, err := sqlitestore.Open(ctx, DBPath(c))
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", DBPath(c), err)
		}
		base = st
	}
	if c.RedisURL == "" {
		return base, nil
	}
	rs, err := redisstore.Open(ctx, c.RedisURL, base, redisstore.Options{Timeout: redisTimeout})
	if err != nil {
		base.Close()
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	return rs, nil
}

// StoreKind is "postgres" or "sqlite", with "redis+" in front when the
// session state is in Redis (its URL is not logged: it may hold a
// password).
func StoreKind(c config.Config) string {
	kind := "sqlite"
	if c.PostgresURL != "" {
		kind = "postgres"
	}
	if c.RedisURL != "" {
		return "redis+" + kind
	}
	return kind
}

// StoreLocation says where the store is, for messages and the startup
// line: the SQLite file, or the PostgreSQL URL without its password.
func StoreLocation(c config.Config) string {
	if c.PostgresURL == "" {
		return DBPath(c)
	}
	return redactURL(c.PostgresURL)
}

// redactURL drops the password of a postgres:// URL. A key=value DSN is
// reduced to "postgres (DSN)": it may carry password=.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "postgres (DSN)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
