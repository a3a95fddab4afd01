package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

func keyString(k store.Key) string {
	return fmt.Sprintf("{id=%s alg=%s private=%x created=%s from=%s retired=%s}",
		k.ID, k.Alg, k.Private, ts(k.CreatedAt), ts(k.SignFrom), ts(k.RetiredAt))
}

// testKeys are two keys, the first older.
func testKeys() []store.Key {
	return []store.Key{
		{ID: "kid-ed25519", Alg: "EdDSA", Private: []byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0xff, 0x00},
			CreatedAt: at(0), SignFrom: at(time.Hour)},
		{ID: "kid-hs256", Alg: "HS256", Private: []byte("\x00secret\x00\xfe"),
			CreatedAt: at(time.Minute), SignFrom: at(2 * time.Hour), RetiredAt: at(3 * time.Hour)},
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
		wantErr(t, "RetireKey", s.RetireKey(t.Context(), ks[0].ID, at(5*time.Hour)), nil)
		ks[0].RetiredAt = at(5 * time.Hour)
		checkKeys(t, s, ks[:1])
		wantErr(t, "RetireKey(unknown)", s.RetireKey(t.Context(), "nope", at(0)), store.ErrNotFound)
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
