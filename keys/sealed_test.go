package keys

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// Issue 7, item 9: private key material reaches the store sealed.
func TestPrivateKeysAreSealedAtRest(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		st, clk := newMemKeys(), &clock{t: t0}
		m := newTestManager(st, clk, alg, 0)
		mustInit(t, m)
		clk.Set(t0.Add(time.Minute))
		if _, err := m.Rotate(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
		for id, k := range snapshot(st) {
			if !seal.IsSealed(k.Private) {
				t.Fatalf("%s key %s stored in clear", alg, id)
			}
			plain, err := testBox.Open(kindKey, id, k.Private)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(k.Private, plain) {
				t.Fatalf("%s key %s: sealed value contains the clear one", alg, id)
			}
			if _, ok := m.Lookup(id); !ok {
				t.Fatalf("%s key %s not loaded", alg, id)
			}
		}
	}
}

// A database from before sealing: its clear keys keep signing and verifying
// and are sealed in place by the first manager that may write.
func TestClearKeysAreSealedInPlace(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{Scheduler, Admin} {
		st, clk := newMemKeys(), &clock{t: t0}
		old, _ := Generate(token.AlgEdDSA, t0)
		clear := bytes.Clone(old.Private)
		st.AddKey(context.Background(), old)
		m := newRoleManager(st, clk, tokenLifetime, role)
		mustInit(t, m)
		if s := m.Ring().Signer(); s == nil || s.ID != old.ID || st.count() != 1 {
			t.Fatalf("role %d: the clear key does not sign after sealing", role)
		}
		k, _ := st.get(old.ID)
		if !seal.IsSealed(k.Private) {
			t.Fatalf("role %d: key still in clear", role)
		}
		if plain, err := testBox.Open(kindKey, old.ID, k.Private); err != nil || !bytes.Equal(plain, clear) {
			t.Fatalf("role %d: sealed key opens to %x, %v", role, plain, err)
		}
		// A restart reads the sealed key.
		again := newRoleManager(st, clk, tokenLifetime, role)
		mustInit(t, again)
		if again.Ring().Signer().ID != old.ID {
			t.Fatalf("role %d: restart lost the key", role)
		}
	}
}

// Started with another master key, the manager fails instead of making a
// new signer next to keys it cannot read.
func TestWrongMasterKeyFailsInit(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	mustInit(t, newTestManager(st, clk, token.AlgEdDSA, 0))
	for _, role := range []Role{Scheduler, Admin, Reader} {
		m := NewManager(st, otherBox, Config{Alg: token.AlgEdDSA, TokenLifetime: tokenLifetime, Now: clk.Now, Logger: quiet, Role: role})
		if err := m.Init(context.Background()); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("role %d: Init = %v, want seal.ErrOpen", role, err)
		}
		if st.count() != 1 || m.Ring().Signer() != nil {
			t.Fatalf("role %d: %d keys after a failed Init", role, st.count())
		}
	}
}

// A sealed value copied onto another key's row does not open there.
func TestSealedKeyBoundToItsKid(t *testing.T) {
	t.Parallel()
	st, clk := newMemKeys(), &clock{t: t0}
	a, _ := Generate(token.AlgEdDSA, t0)
	b, _ := Generate(token.AlgEdDSA, t0)
	b.Private = testBox.Seal(kindKey, a.ID, a.Private)
	st.AddKey(context.Background(), b)
	if err := newTestManager(st, clk, token.AlgEdDSA, 0).Init(context.Background()); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("Init = %v", err)
	}
}

func TestSecretIsSealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newMemKeys()
	v, err := Secret(ctx, st, testBox, "refresh-successor", 32)
	if err != nil || len(v) != 32 {
		t.Fatalf("Secret = %x, %v", v, err)
	}
	stored := st.secrets["refresh-successor"]
	if !seal.IsSealed(stored) || bytes.Contains(stored, v) {
		t.Fatalf("stored %x", stored)
	}
	if again, err := Secret(ctx, st, testBox, "refresh-successor", 32); err != nil || !bytes.Equal(again, v) {
		t.Fatal("second read differs")
	}
	if _, err := Secret(ctx, st, otherBox, "refresh-successor", 32); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("wrong master key: %v", err)
	}
	// Bound to its name.
	st.secrets["other"] = stored
	if _, err := Secret(ctx, st, testBox, "other", 32); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("secret under another name: %v", err)
	}
}

func TestClearSecretIsSealedInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newMemKeys()
	clear := bytes.Repeat([]byte{9}, 32)
	st.secrets["refresh-successor"] = bytes.Clone(clear)
	v, err := Secret(ctx, st, testBox, "refresh-successor", 32)
	if err != nil || !bytes.Equal(v, clear) {
		t.Fatalf("Secret = %x, %v; want the old value", v, err)
	}
	stored := st.secrets["refresh-successor"]
	if !seal.IsSealed(stored) || bytes.Contains(stored, clear) {
		t.Fatalf("not sealed in place: %x", stored)
	}
	if again, _ := Secret(ctx, st, testBox, "refresh-successor", 32); !bytes.Equal(again, clear) {
		t.Fatal("sealed secret reads back different")
	}
}

// sealingRace makes the first ReplaceSecret lose to another process that
// sealed the secret meanwhile.
type sealingRace struct {
	*memKeys
	raced bool
}

func (s *sealingRace) ReplaceSecret(ctx context.Context, name string, old, new []byte) error {
	if !s.raced {
		s.raced = true
		s.memKeys.ReplaceSecret(ctx, name, old, testBox.Seal(kindSecret, name, old))
		return store.ErrNotFound
	}
	return s.memKeys.ReplaceSecret(ctx, name, old, new)
}

func TestClearSecretSealedConcurrently(t *testing.T) {
	t.Parallel()
	st := &sealingRace{memKeys: newMemKeys()}
	clear := bytes.Repeat([]byte{4}, 32)
	st.secrets["s"] = bytes.Clone(clear)
	if v, err := Secret(context.Background(), st, testBox, "s", 32); err != nil || !bytes.Equal(v, clear) {
		t.Fatalf("Secret = %x, %v", v, err)
	}
}
