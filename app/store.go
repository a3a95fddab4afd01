package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// openStore opens the node's store: the embedded SQLite database alone,
// or with --redis-url the session state in Redis and users, keys and the
// audit trail in SQLite (one big box; see docs/deploy.md).
func openStore(ctx context.Context, c config.Config) (store.Store, error) {
	if c.PostgresURL != "" {
		return nil, errors.New("--postgres-url is not supported by this version yet; leave it empty to keep users in the embedded SQLite store")
	}
	st, err := sqlitestore.Open(ctx, DBPath(c))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", DBPath(c), err)
	}
	if c.RedisURL == "" {
		return st, nil
	}
	rs, err := redisstore.Open(ctx, c.RedisURL, st, redisstore.Options{})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	return rs, nil
}

// storeName names the store in the startup line: "sqlite", or
// "redis+sqlite" (sessions in Redis; its URL is not logged, it may hold a
// password).
func storeName(c config.Config) string {
	if c.RedisURL != "" {
		return "redis+sqlite"
	}
	return "sqlite"
}
