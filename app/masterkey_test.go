package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/keys"
	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
	"github.com/gatehouse/gatehouse/token"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustOpen(t *testing.T, c config.Config, now func() time.Time, role keys.Role) *App {
	t.Helper()
	a, err := OpenAs(context.Background(), c, quiet, now, role)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// privateParts is the clear material of k that must never be in the file:
// its PKCS#8 DER and its core secret number or seed.
func privateParts(t *testing.T, k *token.Key) [][]byte {
	t.Helper()
	switch p := k.Sign.(type) {
	case []byte:
		return [][]byte{p}
	case ed25519.PrivateKey:
		der, _ := x509.MarshalPKCS8PrivateKey(p)
		return [][]byte{der, p.Seed()}
	case *ecdsa.PrivateKey:
		der, _ := x509.MarshalPKCS8PrivateKey(p)
		d, _ := p.Bytes()
		return [][]byte{der, d}
	case *rsa.PrivateKey:
		der, _ := x509.MarshalPKCS8PrivateKey(p)
		return [][]byte{der, p.D.Bytes(), p.Primes[0].Bytes()}
	}
	t.Fatalf("%T", k.Sign)
	return nil
}

// rawDB is every byte SQLite keeps for the database: the file and, if
// present, its WAL.
func rawDB(t *testing.T, c config.Config) []byte {
	t.Helper()
	b, err := os.ReadFile(DBPath(c))
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(DBPath(c) + "-wal"); err == nil {
		b = append(b, wal...)
	}
	return b
}

func mustNotContain(t *testing.T, raw []byte, what string, secret []byte) {
	t.Helper()
	if len(secret) < 16 {
		t.Fatalf("%s: %d bytes is too short to search for", what, len(secret))
	}
	if bytes.Contains(raw, secret) {
		t.Errorf("the database file holds %s in clear", what)
	}
}

// Issue 7, item 9: after start, the SQLite file holds no signing key's
// private bytes and no server secret in clear, and not the master key.
func TestDatabaseHoldsNoClearKeyOrSecret(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{token.AlgEdDSA, token.AlgES256, token.AlgRS256, token.AlgHS256} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			c := testenv.Config(t)
			c.SigningAlg = alg
			clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
			a := mustOpen(t, c, clk.Now, keys.Scheduler)
			ctx := context.Background()
			var clear [][]byte
			clear = append(clear, privateParts(t, a.Keys.Ring().Signer())...)
			clk.Add(time.Minute)
			if _, err := a.Keys.Rotate(ctx, 0); err != nil {
				t.Fatal(err)
			}
			clear = append(clear, privateParts(t, a.Keys.Ring().Signer())...)
			secret, err := keys.Secret(ctx, a.Store, a.Seal, "refresh-successor", 32)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Service.CreateUser(ctx, "alice", "correct horse battery", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Service.Login(ctx, authn.LoginInput{Username: "alice", Password: "correct horse battery"}); err != nil {
				t.Fatal(err)
			}
			mustNotContain(t, rawDB(t, c), "the refresh-successor secret (open)", secret)
			a.Close()
			raw := rawDB(t, c)
			for _, b := range clear {
				mustNotContain(t, raw, "a signing key's private bytes", b)
			}
			mustNotContain(t, raw, "the refresh-successor secret", secret)
			mk, err := os.ReadFile(c.MasterKeyPath())
			if err != nil {
				t.Fatal(err)
			}
			mustNotContain(t, raw, "the master key", mk)
			if fi, _ := os.Stat(c.MasterKeyPath()); fi.Mode().Perm() != 0o600 {
				t.Fatalf("master.key mode %v", fi.Mode())
			}
		})
	}
}

// A database from before sealing: its clear keys and secret are sealed in
// place at start, and keep working (same signer, same secret).
func TestClearDatabaseIsSealedAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testenv.Config(t)
	now := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := sqlitestore.Open(ctx, DBPath(c))
	if err != nil {
		t.Fatal(err)
	}
	old, err := keys.Generate(token.AlgEdDSA, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clearKey := bytes.Clone(old.Private)
	clearSecret := bytes.Repeat([]byte("legacy-secret-01"), 2)
	if err := st.AddKey(ctx, old); err != nil {
		t.Fatal(err)
	}
	// A second, newer row, so the first is not the last on its page.
	pending, err := keys.Generate(token.AlgEdDSA, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	pending.SignFrom = now.Add(time.Hour)
	clearPending := bytes.Clone(pending.Private)
	if err := st.AddKey(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Secret(ctx, "refresh-successor", func() ([]byte, error) { return clearSecret, nil }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if before := rawDB(t, c); !bytes.Contains(before, clearKey) || !bytes.Contains(before, clearPending) || !bytes.Contains(before, clearSecret) {
		t.Fatal("the test cannot see clear values in the file")
	}

	a := mustOpen(t, c, func() time.Time { return now }, keys.Scheduler)
	if s := a.Keys.Ring().Signer(); s == nil || s.ID != old.ID {
		t.Fatal("the old key does not sign after sealing")
	}
	ks, _ := a.Store.ListKeys(ctx)
	for _, k := range ks {
		if !seal.IsSealed(k.Private) {
			t.Fatalf("key %s still in clear", k.ID)
		}
	}
	if len(ks) != 2 {
		t.Fatalf("%d keys after start", len(ks))
	}
	stored, _ := a.Store.Secret(ctx, "refresh-successor", func() ([]byte, error) { return nil, errors.New("exists") })
	if !seal.IsSealed(stored) {
		t.Fatal("secret still in clear")
	}
	if v, err := keys.Secret(ctx, a.Store, a.Seal, "refresh-successor", 32); err != nil || !bytes.Equal(v, clearSecret) {
		t.Fatalf("secret after sealing = %q, %v", v, err)
	}
	a.Close()
	// And the clear values are gone from the file, not just superseded.
	raw := rawDB(t, c)
	mustNotContain(t, raw, "the pre-sealing key", clearKey)
	mustNotContain(t, raw, "the pre-sealing pending key", clearPending)
	mustNotContain(t, raw, "the pre-sealing secret", clearSecret)
}

func TestWrongMasterKeyRefusesToStart(t *testing.T) {
	t.Parallel()
	c := testenv.Config(t)
	now := func() time.Time { return time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC) }
	mustOpen(t, c, now, keys.Scheduler).Close()
	keysBefore := countKeys(t, c)

	other := bytes.Repeat([]byte{7}, seal.MasterKeyLen)
	env := c
	env.MasterKey = base64.StdEncoding.EncodeToString(other)
	for _, role := range []keys.Role{keys.Scheduler, keys.Admin, keys.Reader} {
		_, err := OpenAs(context.Background(), env, quiet, now, role)
		if err == nil || !strings.Contains(err.Error(), "master key does not open the keys in "+DBPath(c)) {
			t.Fatalf("role %d, GATEHOUSE_MASTER_KEY of another database: %v", role, err)
		}
	}
	if err := os.WriteFile(c.MasterKeyPath(), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), c, quiet, now); err == nil || !strings.Contains(err.Error(), "master key does not open the keys in") {
		t.Fatalf("another key file: %v", err)
	}
	// A lost key file: the start fails, and leaves no new key file behind.
	os.Remove(c.MasterKeyPath())
	_, err := Open(context.Background(), c, quiet, now)
	if err == nil || !strings.Contains(err.Error(), "master key does not open the keys in") {
		t.Fatalf("lost key file: %v", err)
	}
	if _, err := os.Stat(c.MasterKeyPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed start left a new master key behind: %v", err)
	}
	if n := countKeys(t, c); n != keysBefore {
		t.Fatalf("failed starts changed the keys: %d, then %d", keysBefore, n)
	}
}

func countKeys(t *testing.T, c config.Config) int {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), DBPath(c))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ks, err := st.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ks)
}

func TestReadableMasterKeyFileRefused(t *testing.T) {
	t.Parallel()
	c := testenv.Config(t)
	if err := os.WriteFile(c.MasterKeyPath(), bytes.Repeat([]byte{1}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(c.MasterKeyPath(), 0o644)
	_, err := Open(context.Background(), c, quiet, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), c.MasterKeyPath()) {
		t.Fatalf("Open = %v", err)
	}
}

func TestMasterKeyFromEnvironmentWritesNoFile(t *testing.T) {
	t.Parallel()
	c := testenv.Config(t)
	c.MasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	a := mustOpen(t, c, nil, keys.Scheduler)
	kid := a.Keys.Ring().Signer().ID
	a.Close()
	if _, err := os.Stat(c.MasterKeyPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("master.key written with GATEHOUSE_MASTER_KEY set: %v", err)
	}
	a = mustOpen(t, c, nil, keys.Reader)
	defer a.Close()
	if a.Keys.Ring().Signer().ID != kid {
		t.Fatal("reopen with the same key lost the signer")
	}
}

// Issue 7, item 4 end to end: a server on --access-ttl 1h retires a key;
// CLI opens with the default 15m, read-only and admin, must leave it, and
// the server still accepts the token it signed.
func TestCLIOpenKeepsServersRetiredKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testenv.Config(t)
	c.AccessTTL = time.Hour
	clk := testenv.NewClock(time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := mustOpen(t, c, clk.Now, keys.Scheduler)
	defer srv.Close()
	if _, err := srv.Service.CreateUser(ctx, "alice", "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	pair, err := srv.Service.Login(ctx, authn.LoginInput{Username: "alice", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	old := srv.Keys.Ring().Signer().ID
	clk.Add(time.Minute)
	if _, err := srv.Keys.Rotate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	clk.Add(20 * time.Minute)
	cli := c
	cli.AccessTTL = 15 * time.Minute
	for _, role := range []keys.Role{keys.Reader, keys.Admin} {
		a := mustOpen(t, cli, clk.Now, role)
		a.Close()
	}
	ks, _ := srv.Store.ListKeys(ctx)
	found := false
	for _, k := range ks {
		found = found || k.ID == old
	}
	if !found {
		t.Fatal("a CLI open deleted the server's retired key")
	}
	if err := srv.Keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.Authenticate(pair.AccessToken); err != nil {
		t.Fatalf("token of the retired key refused after the CLI ran: %v", err)
	}
}

var _ store.Keys = (*sqlitestore.Store)(nil)
