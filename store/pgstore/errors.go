package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/gatehouse/gatehouse/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// storeErrors are the sentinels passed through unchanged by wrap.
var storeErrors = []error{
	store.ErrNotFound, store.ErrUserExists, store.ErrSessionExpired,
	store.ErrRefreshExpired, store.ErrReused, store.ErrSessionLimit,
	store.ErrCredentialChanged, store.ErrConflict, store.ErrUnavailable,
}

// wrap prefixes err with the operation and maps driver errors onto the store
// sentinels: no rows to ErrNotFound, a taken username (or a look-alike of
// one) to ErrUserExists, a server that cannot be reached or is shutting
// down to ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range storeErrors {
		if errors.Is(err, s) {
			return fmt.Errorf("pgstore: %s: %w", op, err)
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
	}
	if unavailable(err) {
		return fmt.Errorf("pgstore: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" &&
		(pe.ConstraintName == "users_username_key" || pe.ConstraintName == "users_username_skeleton") {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrUserExists)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// unavailable reports whether err says the server could not be reached or
// is not serving: a failed dial, a lost connection, a deadline that ran out
// waiting for it, or PostgreSQL's connection-exception and shutdown codes.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || // connection exception
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || // shutdown, cannot connect now
			pe.Code == "53300" // too many connections
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed")
}
