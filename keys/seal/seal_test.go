package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func box(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, MasterKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	b := box(t, 1)
	plain := []byte("private key material")
	s := b.Seal("key", "kid-1", plain)
	if !IsSealed(s) || !IsSealed([]byte("\x00ghseal9future")) || IsSealed(plain) || bytes.Contains(s, plain) {
		t.Fatalf("sealed value %x", s)
	}
	if again := b.Seal("key", "kid-1", plain); bytes.Equal(again, s) {
		t.Fatal("two seals of one value are equal (nonce reused)")
	}
	got, err := b.Open("key", "kid-1", s)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if got, err := b.Open("key", "kid-1", b.Seal("key", "kid-1", nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty value: %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	b := box(t, 1)
	s := b.Seal("secret", "refresh-successor", []byte("0123456789abcdef0123456789abcdef"))
	flip := bytes.Clone(s)
	flip[len(flip)-1] ^= 1
	for name, tc := range map[string]struct {
		b          *Box
		kind, name string
		v          []byte
	}{
		"another master key": {box(t, 2), "secret", "refresh-successor", s},
		"another name":       {b, "secret", "other", s},
		"another kind":       {b, "key", "refresh-successor", s},
		"altered":            {b, "secret", "refresh-successor", flip},
		"truncated":          {b, "secret", "refresh-successor", s[:len(prefix)+5]},
		"clear value":        {b, "secret", "refresh-successor", []byte("0123456789abcdef0123456789abcdef")},
		"empty":              {b, "secret", "refresh-successor", nil},
		"another version":    {b, "secret", "refresh-successor", append([]byte("\x00ghseal2"), s[len(prefix):]...)},
	} {
		if _, err := tc.b.Open(tc.kind, tc.name, tc.v); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open = %v, want ErrOpen", name, err)
		}
	}
}

func TestNewRefusesWrongSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := New(make([]byte, n)); !errors.Is(err, ErrMasterKey) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := bytes.Repeat([]byte{0xfb}, 32)
	if got, err := ParseKey(base64.StdEncoding.EncodeToString(k)); err != nil || !bytes.Equal(got, k) {
		t.Fatalf("ParseKey = %x, %v", got, err)
	}
	for _, bad := range []string{"", base64.RawStdEncoding.EncodeToString(k), base64.URLEncoding.EncodeToString(k),
		base64.StdEncoding.EncodeToString(k[:16]), " " + base64.StdEncoding.EncodeToString(k)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestKeyFileCreatedOnceWithMode0600(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	keys := make([][]byte, 8)
	created := make([]bool, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			keys[i], created[i], err = LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for i := range keys {
		if !bytes.Equal(keys[i], keys[0]) || len(keys[i]) != MasterKeyLen {
			t.Fatalf("process %d read another key", i)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d creators", n)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".master.key-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	if again, created, err := LoadOrCreateKeyFile(path); err != nil || created || !bytes.Equal(again, keys[0]) {
		t.Fatal("second load changed the key")
	}
}

func TestKeyFileRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k := bytes.Repeat([]byte{3}, 32)
	if _, _, err := LoadOrCreateKeyFile(write("group", k, 0o640)); !errors.Is(err, ErrKeyFileMode) {
		t.Errorf("group-readable file: %v", err)
	}
	if _, _, err := LoadOrCreateKeyFile(write("world", k, 0o604)); !errors.Is(err, ErrKeyFileMode) {
		t.Errorf("world-readable file: %v", err)
	}
	if _, _, err := LoadOrCreateKeyFile(write("short", k[:31], 0o600)); err == nil {
		t.Error("31-byte file accepted")
	}
	if _, _, err := LoadOrCreateKeyFile(write("b64", []byte(base64.StdEncoding.EncodeToString(k)), 0o600)); err == nil {
		t.Error("base64 text accepted as a raw key file")
	}
	if _, _, err := LoadOrCreateKeyFile(dir); err == nil {
		t.Error("directory accepted")
	}
	if got, _, err := LoadOrCreateKeyFile(write("ok", k, 0o400)); err != nil || !bytes.Equal(got, k) {
		t.Errorf("0400 file: %v", err)
	}
}
