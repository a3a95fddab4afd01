package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

func keyString(k store.Key) string {
	return fmt.Sprintf("{id=%s alg=%s private=%x created=%s from=%s retired=%s keep=%s}",
		k.ID, k.Alg, k.Private, ts(k.CreatedAt), ts(k.SignFrom), ts(k.RetiredAt), ts(k.KeepUntil))
}

// testKeys are two keys, the first older.
func testKeys() []store.Key {
	return []store.Key{
		{ID: "kid-ed25519", Alg: "EdDSA", Private: []byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0xff, 0x00},
			CreatedAt: at(0), SignFrom: at(time.Hour)},
		{ID: "kid-hs256", Alg: "HS256", Private: []byte("\x00secret\x00\xfe"),
			CreatedAt: at(time.Minute), SignFrom: at(2 * time.Hour), RetiredAt: at(3 * time.Hour),
			KeepUntil: at(4 * time.Hour)},
	}
}

// checkKeys compares ListKeys with want, by id.
func checkKeys(t *testing.T, s store.Store, want []store.Key) {
	t.Helper()
	got, err := s.ListKeys(t.Context())
	wantErr(t, "ListKeys", err, nil)
	if len(got) != len(want) {
		t.Fatalf("ListKeys: %d keys, want %d", len(got), len(want))
	}
	byID := map[string]store.Key{}
	for _, k := range got {
		byID[k.ID] = k
	}
	for _, w := range want {
		if g, gw := keyString(byID[w.ID]), keyString(w); g != gw {
			t.Errorf("key %s:\n got %s\nwant %s", w.ID, g, gw)
		}
	}
}

func constGen(v string, calls *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*calls++
		return []byte(v), nil
	}
}

var keyTests = []test{
	{"add and list round-trip every field", func(t *testing.T, s store.Store) {
		checkKeys(t, s, nil)
		ks := testKeys()
		for _, k := range ks {
			wantErr(t, "AddKey", s.AddKey(t.Context(), k), nil)
		}
		checkKeys(t, s, ks)
	}},
	{"retire key", func(t *testing.T, s store.Store) {
		ks := testKeys()
		wantErr(t, "AddKey", s.AddKey(t.Context(), ks[0]), nil)
		wantErr(t, "RetireKey", s.RetireKey(t.Context(), ks[0].ID, at(5*time.Hour), at(6*time.Hour)), nil)
		ks[0].RetiredAt, ks[0].KeepUntil = at(5*time.Hour), at(6*time.Hour)
		checkKeys(t, s, ks[:1])
		wantErr(t, "RetireKey(unknown)", s.RetireKey(t.Context(), "nope", at(0), at(0)), store.ErrNotFound)
	}},
	{"retiring again keeps the first time and the longest keep-until", func(t *testing.T, s store.Store) {
		ks := testKeys()
		wantErr(t, "AddKey", s.AddKey(t.Context(), ks[0]), nil)
		wantErr(t, "RetireKey", s.RetireKey(t.Context(), ks[0].ID, at(5*time.Hour), at(7*time.Hour)), nil)
		// A node with a shorter access TTL retires it later: nothing shrinks.
		wantErr(t, "RetireKey(shorter)", s.RetireKey(t.Context(), ks[0].ID, at(5*time.Hour+time.Minute), at(6*time.Hour)), nil)
		ks[0].RetiredAt, ks[0].KeepUntil = at(5*time.Hour), at(7*time.Hour)
		checkKeys(t, s, ks[:1])
		// One with a longer TTL extends it.
		wantErr(t, "RetireKey(longer)", s.RetireKey(t.Context(), ks[0].ID, at(5*time.Hour), at(8*time.Hour)), nil)
		ks[0].KeepUntil = at(8 * time.Hour)
		checkKeys(t, s, ks[:1])
	}},
	{"replace key private is a compare-and-swap", func(t *testing.T, s store.Store) {
		ks := testKeys()
		wantErr(t, "AddKey", s.AddKey(t.Context(), ks[0]), nil)
		sealed := []byte("sealed\x00bytes")
		wantErr(t, "ReplaceKeyPrivate(stale old)", s.ReplaceKeyPrivate(t.Context(), ks[0].ID, []byte("other"), sealed), store.ErrNotFound)
		checkKeys(t, s, ks[:1])
		wantErr(t, "ReplaceKeyPrivate", s.ReplaceKeyPrivate(t.Context(), ks[0].ID, ks[0].Private, sealed), nil)
		old := ks[0].Private
		ks[0].Private = sealed
		checkKeys(t, s, ks[:1])
		wantErr(t, "ReplaceKeyPrivate(again)", s.ReplaceKeyPrivate(t.Context(), ks[0].ID, old, sealed), store.ErrNotFound)
		wantErr(t, "ReplaceKeyPrivate(unknown)", s.ReplaceKeyPrivate(t.Context(), "nope", old, sealed), store.ErrNotFound)
	}},
	{"replace secret is a compare-and-swap", func(t *testing.T, s store.Store) {
		calls := 0
		_, err := s.Secret(t.Context(), "successor", constGen("clear", &calls))
		wantErr(t, "Secret", err, nil)
		wantErr(t, "ReplaceSecret(stale old)", s.ReplaceSecret(t.Context(), "successor", []byte("other"), []byte("sealed")), store.ErrNotFound)
		wantErr(t, "ReplaceSecret", s.ReplaceSecret(t.Context(), "successor", []byte("clear"), []byte("sealed")), nil)
		v, err := s.Secret(t.Context(), "successor", constGen("fresh", &calls))
		if err != nil || string(v) != "sealed" || calls != 1 {
			t.Errorf("Secret after replace = %q, %v, %d gen calls", v, err, calls)
		}
		wantErr(t, "ReplaceSecret(again)", s.ReplaceSecret(t.Context(), "successor", []byte("clear"), []byte("x")), store.ErrNotFound)
		wantErr(t, "ReplaceSecret(unknown)", s.ReplaceSecret(t.Context(), "nope", []byte("clear"), []byte("x")), store.ErrNotFound)
	}},
	{"delete key", func(t *testing.T, s store.Store) {
		ks := testKeys()
		for _, k := range ks {
			wantErr(t, "AddKey", s.AddKey(t.Context(), k), nil)
		}
		wantErr(t, "DeleteKey", s.DeleteKey(t.Context(), ks[0].ID), nil)
		checkKeys(t, s, ks[1:])
		wantErr(t, "DeleteKey(again)", s.DeleteKey(t.Context(), ks[0].ID), store.ErrNotFound)
	}},
	{"secret is created once", func(t *testing.T, s store.Store) {
		calls := 0
		v, err := s.Secret(t.Context(), "cookie", constGen("first", &calls))
		wantErr(t, "Secret", err, nil)
		if string(v) != "first" || calls != 1 {
			t.Fatalf("Secret = %q after %d gen calls, want \"first\" after 1", v, calls)
		}
		v, err = s.Secret(t.Context(), "cookie", constGen("second", &calls))
		wantErr(t, "Secret", err, nil)
		if string(v) != "first" || calls != 1 {
			t.Errorf("second Secret = %q after %d gen calls, want \"first\" after 1", v, calls)
		}
	}},
	{"secrets are per name", func(t *testing.T, s store.Store) {
		calls := 0
		a, _ := s.Secret(t.Context(), "a", constGen("va", &calls))
		b, _ := s.Secret(t.Context(), "b", constGen("vb", &calls))
		if string(a) != "va" || string(b) != "vb" || calls != 2 {
			t.Errorf("Secret a=%q b=%q calls=%d", a, b, calls)
		}
	}},
	{"a failing gen stores nothing", func(t *testing.T, s store.Store) {
		boom := errors.New("no entropy")
		_, err := s.Secret(t.Context(), "x", func() ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Secret with failing gen: %v, want %v", err, boom)
		}
		calls := 0
		v, err := s.Secret(t.Context(), "x", constGen("ok", &calls))
		if err != nil || string(v) != "ok" || calls != 1 {
			t.Errorf("Secret after failure = %q, %v, calls %d", v, err, calls)
		}
	}},
}
