package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/gatehouse/gatehouse/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQLite file.
type Store struct {
	w  *sql.DB // one connection; transactions BEGIN IMMEDIATE
	r  *sql.DB // read-only pool
	wc *stmtCache
	rd reader
	// turn queues writers first come, first served. database/sql hands its
	// one writer connection to a random waiter, so under load some requests
	// waited many turns (refresh p99 105 ms at 64 clients); blocked channel
	// senders are served in order (p99 45 ms, same throughput).
	turn chan struct{}
	// ck checkpoints the WAL off the request path (checkpoint.go).
	ck     *sql.DB
	stopCk chan struct{}
	ckDone chan struct{}
	ckOnce sync.Once
}

const (
	writerParams     = "_txlock=immediate&_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL&_pragma=wal_autocheckpoint(0)"
	readerParams     = "_busy_timeout=5000&_foreign_keys=1&_query_only=1"
	checkpointParams = "_busy_timeout=5000&_pragma=wal_autocheckpoint(0)"
)

// Open opens (creating if needed) the database at path and migrates it. The
// parent directory is created with mode 0700 and the file with mode 0600.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	if err := createFile(abs); err != nil {
		return nil, err
	}
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?"
	w, err := sql.Open("sqlite", uri+writerParams)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, wc: newStmtCache(w), turn: make(chan struct{}, 1)}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", uri+readerParams)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: open reader: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r, s.rd = r, reader{newStmtCache(r)}
	if err := s.startCheckpointer(uri); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlitestore: open checkpointer: %w", err)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// createFile makes the parent directory (0700) and the file (0600) so that
// SQLite, which gives its -wal and -shm files the database's mode, never
// creates anything more permissive.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return f.Close()
}

// Ping checks both the reader pool and the writer.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.r, s.w} {
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return wrap("ping", err)
		}
	}
	return nil
}

// Close closes both handles.
func (s *Store) Close() error {
	var errs []error
	errs = append(errs, s.stopCheckpointer())
	s.wc.close()
	if s.r != nil {
		s.rd.c.close()
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// write runs fn in one writer transaction and commits it.
func (s *Store) write(ctx context.Context, op string, fn func(tx *wtx) error) error {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return wrap(op, ctx.Err())
	}
	defer func() { <-s.turn }()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	t := &wtx{tx: tx, c: s.wc}
	defer t.prepareMissed(ctx)
	if err := fn(t); err != nil {
		tx.Rollback()
		return wrap(op, err)
	}
	return wrap(op, tx.Commit())
}
