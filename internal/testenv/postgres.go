package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURLEnv names the variable with the address of the PostgreSQL
// server that tests use; DefaultPostgresURL is the machine's (trust auth,
// database test).
const (
	PostgresURLEnv     = "GATEHOUSE_TEST_POSTGRES_URL"
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// PostgresURL is the test server's address: $GATEHOUSE_TEST_POSTGRES_URL or
// DefaultPostgresURL.
func PostgresURL() string {
	if u := os.Getenv(PostgresURLEnv); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// PostgresSchema returns the test server's address and a fresh schema name
// (gh_test_<random>) for the test alone, dropped with everything in it when
// the test ends; the caller's store creates it. If the server does not
// answer, the test skips (fails under GATEHOUSE_REQUIRE_INTEGRATION=1).
func PostgresSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		RequireIntegration(t, "PostgreSQL at "+url+" ("+err.Error()+")",
			"start it, or set "+PostgresURLEnv+" to a server where the tests may create schemas")
	}
	var b [6]byte
	rand.Read(b[:])
	schema = "gh_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	return url, schema
}
