package sqlitestore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/store"
)

// Commits never checkpoint (the request path does not copy the WAL); the
// store's own connection does, and Close leaves no WAL behind.
func TestCheckpointIsOffTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&n); err != nil || n != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want 0", n, err)
	}
	for i := range 50 {
		if err := s.CreateUser(t.Context(), store.User{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Username: "user" + string(rune('a'+i%26)) + string(rune('a'+i/26))}); err != nil {
			t.Fatal(err)
		}
	}
	s.checkpoint(t.Context(), "PASSIVE")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("WAL of %d bytes left after Close", fi.Size())
	}
}
