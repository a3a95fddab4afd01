package redisstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/gatehouse/gatehouse/store/storetest"
	"github.com/redis/rueidis"
)

// redisURLEnv names the Redis the tests use (the machine's shared one);
// every test works under its own key prefix and deletes it afterwards.
const redisURLEnv = "GATEHOUSE_TEST_REDIS_URL"

func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(redisURLEnv)
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	co, err := rueidis.ParseURL(u)
	if err != nil {
		t.Fatalf("%s: %v", redisURLEnv, err)
	}
	co.DisableCache = true
	c, err := rueidis.NewClient(co)
	if err == nil {
		err = c.Do(t.Context(), c.B().Ping().Build()).Error()
		c.Close()
	}
	if err != nil {
		testenv.RequireIntegration(t, "Redis at "+u+" ("+err.Error()+")",
			"start redis-server, or set "+redisURLEnv+" to a Redis URL")
	}
	return u
}

// open returns a fresh composite store: a new SQLite users store in a
// temp dir and a unique key prefix, deleted when the test ends.
func open(t testing.TB) *redisstore.Store {
	t.Helper()
	s, _ := openOn(t, nil)
	return s
}

// openOn is open with the users store wrapped by wrap (nil: as is); it
// also returns the key prefix.
func openOn(t testing.TB, wrap func(store.Store) store.Store) (*redisstore.Store, string) {
	t.Helper()
	u := redisURL(t)
	sq, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	var users store.Store = sq
	if wrap != nil {
		users = wrap(sq)
	}
	prefix := "gh-test-" + rand.Text()[:12] + ":"
	s, err := redisstore.Open(t.Context(), u, users, redisstore.Options{Prefix: prefix})
	if err != nil {
		users.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := redisstore.DeletePrefix(context.Background(), s); err != nil {
			t.Errorf("cleanup of %s: %v", prefix, err)
		}
		s.Close()
	})
	return s, prefix
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestProofReplayConformance(t *testing.T) {
	storetest.RunProofReplay(t, func(t *testing.T) store.ProofReplay { return open(t) })
}
