package pgstore_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
	"github.com/gatehouse/gatehouse/store/storetest"
)

// open opens a store on a fresh schema of the test server, closed (and the
// schema dropped) when t ends.
func open(t testing.TB) *pgstore.Store {
	t.Helper()
	url, schema := testenv.PostgresSchema(t)
	s, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatalf("Open(%s): %v", schema, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the suite, each subtest on its own schema.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
