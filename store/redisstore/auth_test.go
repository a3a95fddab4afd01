package redisstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/redis/rueidis"
)

// startRedis starts a redis-server of the test's own (never the machine's
// shared one) on a free loopback port, with conf as extra redis.conf
// lines, and returns its address.
func startRedis(t *testing.T, conf ...string) string {
	t.Helper()
	return startRedisOn(t, "port", conf...)
}

// startRedisOn is startRedis listening with portDirective ("port", or
// "tls-port" with the plain port off).
func startRedisOn(t *testing.T, portDirective string, conf ...string) string {
	t.Helper()
	addr, _ := startRedisProc(t, portDirective, conf...)
	return addr
}

// startRedisProc is startRedisOn that also returns the process, for tests
// that pause or kill it.
func startRedisProc(t *testing.T, portDirective string, conf ...string) (string, *os.Process) {
	t.Helper()
	r := testenv.StartRedisOn(t, portDirective, conf...)
	return r.Addr, r.Process()
}

// TestURLUserAndPassword: the URL's ACL user and password are used; a wrong
// password is refused at Open.
func TestURLUserAndPassword(t *testing.T) {
	addr := startRedis(t, "user gatehouse on >s3cret ~* &* +@all", "user default off")
	users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := redisstore.Open(t.Context(), "redis://gatehouse:s3cret@"+addr+"/0?prefix=acl:", users, redisstore.Options{})
	if err != nil {
		t.Fatalf("Open with the ACL user: %v", err)
	}
	defer s.Close()
	if err := s.CreateUser(t.Context(), store.User{ID: "u1", Username: "u1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	mustLogin(t, s, "u1", "s1", 0)
	co, _ := rueidis.ParseURL("redis://gatehouse:s3cret@" + addr + "/0")
	co.DisableCache = true
	c, err := rueidis.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.Do(t.Context(), c.B().Exists().Key("acl:{u:=u1}").Build()).AsInt64(); err != nil || n != 1 {
		t.Errorf("the user's key under the URL's prefix: %d, %v", n, err)
	}
	other, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = redisstore.Open(t.Context(), "redis://gatehouse:wrong@"+addr+"/0", other, redisstore.Options{})
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("Open with a wrong password: %v, want a refusal that does not echo the password", err)
	}
}
