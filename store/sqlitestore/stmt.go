package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query text on a handle, so that
// SQLite parses and compiles each statement once instead of on every call
// (which otherwise dominates these short transactions). Queries are constant
// strings, so the cache is bounded by the number of call sites.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// prepare returns the cached statement for q, preparing it if needed.
func (c *stmtCache) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := c.get(q); st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[q]; ok {
		st.Close()
		return prev, nil
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// reader runs queries on the read pool through the cache.
type reader struct{ c *stmtCache }

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.c.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext returns a row whose Scan reports any preparation error.
func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) scanner {
	st, err := r.c.prepare(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// wtx is a writer transaction that uses cached statements. The writer has a
// single connection, held by the transaction, so a statement cannot be
// prepared on the handle meanwhile: misses run unprepared and are prepared
// once the transaction has ended.
type wtx struct {
	tx     *sql.Tx
	c      *stmtCache
	missed []string
}

func (t *wtx) stmt(ctx context.Context, q string) *sql.Stmt {
	if st := t.c.get(q); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.missed = append(t.missed, q)
	return nil
}

func (t *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, q string, args ...any) scanner {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// prepareMissed caches the statements this transaction ran unprepared.
func (t *wtx) prepareMissed(ctx context.Context) {
	for _, q := range t.missed {
		t.c.prepare(context.WithoutCancel(ctx), q) // best effort
	}
}

// errRow is a row that failed before the query ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// querier is what reader and *wtx have in common.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) scanner
}
