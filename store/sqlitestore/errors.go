package sqlitestore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// storeErrors are the sentinels passed through unchanged by wrap.
var storeErrors = []error{
	store.ErrNotFound, store.ErrUserExists, store.ErrSessionExpired,
	store.ErrRefreshExpired, store.ErrReused, store.ErrSessionLimit,
	store.ErrUnavailable,
}

// wrap prefixes err with the operation and maps driver errors onto the store
// sentinels: a taken username (or a look-alike of one) to ErrUserExists, lock contention and lost
// connections to ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range storeErrors {
		if errors.Is(err, s) {
			return fmt.Errorf("sqlitestore: %s: %w", op, err)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrNotFound)
	}
	if unavailable(err) {
		return fmt.Errorf("sqlitestore: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		(strings.Contains(se.Error(), "users.username_key") || strings.Contains(se.Error(), "users.username_skeleton")) {
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrUserExists)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

func unavailable(err error) bool {
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		strings.Contains(err.Error(), "sql: statement is closed") ||
		strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return true
	}
	return false
}
