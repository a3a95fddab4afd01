package keys

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

const (
	serverLifetime = time.Hour + 30*time.Second      // --access-ttl 1h + leeway
	cliLifetime    = 15*time.Minute + 30*time.Second // the CLI's default 15m + leeway
)

func newRoleManager(st store.Keys, clk *clock, lifetime time.Duration, role Role) *Manager {
	return NewManager(st, testBox, Config{Alg: token.AlgEdDSA, TokenLifetime: lifetime, CacheLifetime: cacheLifetime,
		Now: clk.Now, Logger: quiet, Role: role})
}

// mintFor signs a token of the given lifetime with m's signer at now.
func mintFor(t *testing.T, m *Manager, now time.Time, ttl time.Duration) string {
	t.Helper()
	tok, err := token.Mint(m.Ring().Signer(), &token.Claims{Issuer: "iss", Subject: "u", Audience: "aud", ID: "j",
		SessionID: "s", IssuedAt: now, ExpiresAt: now.Add(ttl)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Issue 7, item 4: a CLI run with the default --access-ttl (15m) against a
// data dir served with --access-ttl 1h must not delete a key the server
// retired while that key's tokens are still valid — whatever the CLI's
// manager runs.
func TestShorterLivedManagerKeepsServersRetiredKey(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{Scheduler, Admin, Reader} {
		ctx := context.Background()
		st, clk := newMemKeys(), &clock{t: t0}
		server := newRoleManager(st, clk, serverLifetime, Scheduler)
		mustInit(t, server)
		old := server.Ring().Signer().ID
		t1 := t0.Add(time.Minute)
		clk.Set(t1)
		long := mintFor(t, server, t1, time.Hour)
		if _, err := server.Rotate(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if k, _ := st.get(old); !k.RetiredAt.Equal(t1) || !k.KeepUntil.Equal(t1.Add(serverLifetime)) {
			t.Fatalf("server retired the old key at %v keep-until %v", k.RetiredAt, k.KeepUntil)
		}

		// 20 minutes later the CLI runs with the default 15m TTL.
		at := t1.Add(20 * time.Minute)
		clk.Set(at)
		cli := newRoleManager(st, clk, cliLifetime, role)
		mustInit(t, cli)
		mustReload(t, cli)
		if _, ok := st.get(old); !ok {
			t.Fatalf("role %d: the CLI deleted a retired key whose tokens are still valid", role)
		}
		mustReload(t, server)
		if err := verify(server, long, at); err != nil {
			t.Fatalf("role %d: server no longer verifies a live token of the retired key: %v", role, err)
		}
		// The key goes when the server's keep-until has passed, not before.
		clk.Set(t1.Add(serverLifetime))
		mustReload(t, cli)
		mustReload(t, server)
		if _, ok := st.get(old); !ok {
			t.Fatalf("role %d: deleted at keep-until", role)
		}
		clk.Set(t1.Add(serverLifetime + time.Second))
		mustReload(t, server)
		if _, ok := st.get(old); ok {
			t.Fatalf("role %d: kept after keep-until", role)
		}
	}
}

// The server rotated with prepublish; the new key took over, and an admin
// command runs before the server's next reload records the retirement. The
// CLI, whose TTL is not the server's, must leave that to the server.
func TestAdminManagerNeverRetires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clk := newMemKeys(), &clock{t: t0}
	server := newRoleManager(st, clk, serverLifetime, Scheduler)
	mustInit(t, server)
	old := server.Ring().Signer().ID
	nk, err := server.Rotate(ctx, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(nk.SignFrom.Add(time.Second))
	mustInit(t, newRoleManager(st, clk, cliLifetime, Admin))
	if k, _ := st.get(old); !k.RetiredAt.IsZero() {
		t.Fatal("an admin command retired a key")
	}
	mustReload(t, server)
	if k, _ := st.get(old); !k.RetiredAt.Equal(nk.SignFrom) || !k.KeepUntil.Equal(nk.SignFrom.Add(serverLifetime)) {
		t.Fatalf("server retired at %v keep-until %v", k.RetiredAt, k.KeepUntil)
	}
}

func TestReaderWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clk := newMemKeys(), &clock{t: t0}
	r := newRoleManager(st, clk, cliLifetime, Reader)
	mustInit(t, r)
	if st.count() != 0 || r.Ring().Signer() != nil {
		t.Fatal("a reader generated a key")
	}
	if _, err := r.Rotate(ctx, 0); !errors.Is(err, errReadOnly) || st.count() != 0 {
		t.Fatalf("reader Rotate = %v", err)
	}
	// A stopped key, one past its keep-until and one stored in clear: the
	// reader sees them and changes none.
	server := newRoleManager(st, clk, serverLifetime, Scheduler)
	mustInit(t, server)
	clk.Set(t0.Add(time.Minute))
	if _, err := server.Rotate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	stopped := server.Ring().Signer().ID
	clk.Set(t0.Add(2 * time.Minute))
	if _, err := server.Rotate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	clear, _ := Generate(token.AlgEdDSA, t0)
	clear.SignFrom = t0.Add(24 * time.Hour)
	st.AddKey(ctx, clear)
	st.fail(nil, nil, nil, nil)
	st.mu.Lock()
	k := st.keys[stopped]
	k.RetiredAt, k.KeepUntil = time.Time{}, time.Time{}
	st.keys[stopped] = k
	st.mu.Unlock()
	before := snapshot(st)
	clk.Set(t0.Add(3 * serverLifetime))
	mustInit(t, r)
	mustReload(t, r)
	if after := snapshot(st); !equalSnapshots(before, after) {
		t.Fatalf("reader changed the store:\n%v\n%v", before, after)
	}
	if _, ok := r.Lookup(clear.ID); !ok {
		t.Fatal("reader cannot read a key stored in clear")
	}
}

func snapshot(st *memKeys) map[string]store.Key {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]store.Key{}
	for id, k := range st.keys {
		out[id] = k
	}
	return out
}

func equalSnapshots(a, b map[string]store.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for id, ka := range a {
		kb, ok := b[id]
		if !ok || string(ka.Private) != string(kb.Private) || !ka.RetiredAt.Equal(kb.RetiredAt) || !ka.KeepUntil.Equal(kb.KeepUntil) {
			return false
		}
	}
	return true
}

// A key stopped so long ago that its tokens are dead by this node's TTL is
// unpublished at once, retired with that keep-until, and deleted at the
// next reload — from the stored keep-until.
func TestLongStoppedKeyIsRetiredThenDeleted(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	a, _ := Generate(token.AlgEdDSA, t0)
	b, _ := Generate(token.AlgEdDSA, t0.Add(time.Hour))
	b.SignFrom = t0.Add(time.Hour)
	for _, k := range []store.Key{a, b} {
		k.Private = testBox.Seal(kindKey, k.ID, k.Private)
		st.AddKey(context.Background(), k)
	}
	clk.Set(t0.Add(3 * time.Hour))
	m := newTestManager(st, clk, token.AlgEdDSA, 0)
	mustInit(t, m)
	if _, ok := m.Lookup(a.ID); ok {
		t.Fatal("dead key published")
	}
	if k, ok := st.get(a.ID); !ok || !k.RetiredAt.Equal(b.SignFrom) || !k.KeepUntil.Equal(b.SignFrom.Add(tokenLifetime)) {
		t.Fatalf("stored %+v, %v", k, ok)
	}
	mustReload(t, m)
	if _, ok := st.get(a.ID); ok {
		t.Fatal("not deleted at the next reload")
	}
}

// A retired key with no stored keep-until (a backend without the column)
// is kept a day.
func TestRetiredKeyWithoutKeepUntilKeptADay(t *testing.T) {
	t.Parallel()
	k := &entry{meta: store.Key{ID: "a", Alg: token.AlgEdDSA, SignFrom: t0, RetiredAt: t0}}
	s := &entry{meta: store.Key{ID: "b", Alg: token.AlgEdDSA, SignFrom: t0}}
	if p := schedule([]*entry{k, s}, token.AlgEdDSA, t0.Add(legacyKeep), time.Minute); len(p.remove) != 0 {
		t.Fatal("removed within a day")
	}
	if p := schedule([]*entry{k, s}, token.AlgEdDSA, t0.Add(legacyKeep+time.Second), time.Minute); len(p.remove) != 1 {
		t.Fatal("kept past a day")
	}
	if p := schedule([]*entry{k, s}, token.AlgEdDSA, t0.Add(legacyKeep+time.Second), 48*time.Hour); len(p.remove) != 0 {
		t.Fatal("legacy keep shorter than this node's lifetime")
	}
}
