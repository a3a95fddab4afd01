package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/pgstore"
	"github.com/gatehouse/gatehouse/store/storetest"
	"github.com/jackc/pgx/v5"
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

func TestProofReplayConformance(t *testing.T) {
	storetest.RunProofReplay(t, func(t *testing.T) store.ProofReplay { return open(t) })
}

// TestParallelOpensMigrateOnce starts several nodes at once on a fresh
// schema: each Open succeeds and every migration is recorded once.
func TestParallelOpensMigrateOnce(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	const nodes = 4
	errs := make([]error, nodes)
	stores := make([]*pgstore.Store, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			stores[i], errs[i] = pgstore.Open(t.Context(), url, pgstore.Options{Schema: schema})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	err = conn.QueryRow(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM `+
		pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&rows, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct {
		t.Errorf("schema_version has %d rows for %d versions: a migration ran twice (or none ran)", rows, distinct)
	}
	// Every node works on the one schema.
	for i, s := range stores {
		if err := s.CreateUser(t.Context(), store.User{ID: fmt.Sprint("u", i), Username: fmt.Sprint("user", i)}); err != nil {
			t.Errorf("node %d: CreateUser: %v", i, err)
		}
	}
	if us, err := stores[0].ListUsers(t.Context(), 0); err != nil || len(us) != nodes {
		t.Errorf("ListUsers = %d users, %v; want %d", len(us), err, nodes)
	}
}

// TestUnreachableIsUnavailable: a server that does not answer fails Open
// promptly with ErrUnavailable (here nothing listens on the port).
func TestUnreachableIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = pgstore.Open(t.Context(), "postgres://postgres@"+addr+"/test?sslmode=disable", pgstore.Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open on a closed port: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

// TestSchemaFromURL: without Options.Schema the URL's search_path names the
// schema.
func TestSchemaFromURL(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := pgstore.Open(t.Context(), url+sep+"search_path="+schema, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Schema() != schema {
		t.Errorf("Schema() = %q, want %q", s.Schema(), schema)
	}
}
