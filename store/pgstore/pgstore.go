package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on a PostgreSQL schema.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	timeout time.Duration
}

// Options tune Open. The zero value is the default.
type Options struct {
	// Schema holds Gatehouse's tables; it is created if missing and set as
	// every connection's search_path. Empty: the URL's search_path if it
	// names one schema, else "public".
	Schema string
	// MaxConns caps the pool (0: pgxpool's default, max(4, GOMAXPROCS)).
	MaxConns int32
	// Timeout bounds each operation, waiting for a connection included
	// (0: DefaultTimeout), so a stalled server (a paused host, a peer that
	// vanished without closing the socket) fails a request with
	// store.ErrUnavailable instead of hanging it until the kernel gives up
	// on the connection. Sweep and PruneEvents, background deletes that
	// may touch many rows, get ten times as long. A timed-out transaction
	// is rolled back: its connection is closed, and a server that resumes
	// reads the close before any COMMIT, which is only sent once every
	// statement before it has answered. The one window left is a server
	// that stalls after receiving COMMIT and before answering it: the
	// caller hears ErrUnavailable, and the commit happens on resume.
	Timeout time.Duration
}

// DefaultTimeout is Options.Timeout's default.
const DefaultTimeout = 5 * time.Second

// Defaults that keep every operation bounded when the server is down or
// unreachable: callers bring their own deadlines, but a dial never waits
// longer than this even without one.
const (
	defaultConnectTimeout = 5 * time.Second
	healthCheckPeriod     = 15 * time.Second
)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN), migrates its schema under an advisory lock and returns the store.
// A connect_timeout of 5 s is set if neither the URL nor PGCONNECT_TIMEOUT
// gives one.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parse url: %w", err)
	}
	if !strings.Contains(url, "connect_timeout") && os.Getenv("PGCONNECT_TIMEOUT") == "" {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	schema := o.Schema
	if schema == "" {
		schema = "public"
		if sp := strings.TrimSpace(cfg.ConnConfig.RuntimeParams["search_path"]); sp != "" && !strings.Contains(sp, ",") {
			schema = strings.Trim(sp, `"`)
		}
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "gatehouse"
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	cfg.HealthCheckPeriod = healthCheckPeriod
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open", err)
	}
	s := &Store{pool: pool, schema: schema, timeout: cmp.Or(o.Timeout, DefaultTimeout)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// bound is ctx limited to the operation timeout (Options.Timeout).
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// boundLong is bound for background operations over many rows.
func (s *Store) boundLong(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 10*s.timeout)
}

// Schema is the schema the store's tables live in.
func (s *Store) Schema() string { return s.schema }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return wrap("ping", s.pool.Ping(ctx))
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is what the pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// retries is how often write runs a transaction that PostgreSQL aborted as
// a deadlock victim or a serialization failure. The lock order (doc.go)
// keeps the operations themselves deadlock-free; this covers what it does
// not order, such as Sweep deleting rows a login is locking.
const retries = 5

// write runs fn in one READ COMMITTED transaction and commits it, retrying
// it from the start after a deadlock or serialization failure.
func (s *Store) write(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	var err error
	for range retries {
		err = s.try(ctx, fn)
		if !retryable(err) {
			break
		}
	}
	return wrap(op, err)
}

func (s *Store) try(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback(ctx) // on failure pgx closes the connection; the pool drops it
		return err
	}
	return tx.Commit(ctx)
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// lockUser takes the transaction's advisory lock on userID: operations on
// several sessions of one user (create with its limit, end some or all,
// password change, roles) run one at a time per user. The key includes the
// schema, so deployments sharing a database do not wait on each other
// (a hash collision only makes two users wait, never breaks anything).
func (s *Store) lockUser(ctx context.Context, tx pgx.Tx, userID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		s.schema+":user:"+userID)
	return err
}
