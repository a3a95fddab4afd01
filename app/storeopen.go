package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// openStore opens the store the configuration names: PostgreSQL for
// everything with --postgres-url (any number of nodes may share it), else
// the embedded SQLite database in the data dir (one node).
func openStore(ctx context.Context, c config.Config) (store.Store, error) {
	if c.RedisURL != "" {
		return nil, errors.New("--redis-url is not supported by this version yet; leave it empty (--postgres-url alone serves any number of nodes)")
	}
	if c.PostgresURL != "" {
		st, err := pgstore.Open(ctx, c.PostgresURL, pgstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", StoreLocation(c), err)
		}
		return st, nil
	}
	st, err := sqlitestore.Open(ctx, DBPath(c))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", DBPath(c), err)
	}
	return st, nil
}

// StoreKind is "postgres" or "sqlite".
func StoreKind(c config.Config) string {
	if c.PostgresURL != "" {
		return "postgres"
	}
	return "sqlite"
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
