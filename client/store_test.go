package client_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/client"
)

// storeCases runs the same checks on every TokenStore.
func TestTokenStores(t *testing.T) {
	t.Parallel()
	for name, newStore := range map[string]func(t *testing.T) client.TokenStore{
		"memory": func(*testing.T) client.TokenStore { return &client.MemoryStore{} },
		"file": func(t *testing.T) client.TokenStore {
			return client.NewFileStore(filepath.Join(t.TempDir(), "tokens.json"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t)
			if got := must[client.Tokens](t)(s.Load(ctx)); got != (client.Tokens{}) {
				t.Fatalf("empty store: %+v", got)
			}
			want := client.Tokens{AccessToken: "a", RefreshToken: "r", SessionID: "s", DeviceID: "d", DPoPKey: "k"}
			ok(t, s.Save(ctx, want))
			if got := must[client.Tokens](t)(s.Load(ctx)); got != want {
				t.Fatalf("load %+v, want %+v", got, want)
			}
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					_ = s.Save(ctx, client.Tokens{AccessToken: strings.Repeat("x", i+1)})
					if _, err := s.Load(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestFileStoreModeAndAtomicity: the file is 0600, replaced by rename (the
// old inode is never rewritten in place, so a reader or a crash sees the
// old tokens or the new ones), no temporary file is left, and a file
// others may read is refused.
func TestFileStoreModeAndAtomicity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	fs := client.NewFileStore(path)
	ok(t, fs.Save(ctx, client.Tokens{AccessToken: "old"}))
	st := must[os.FileInfo](t)(os.Stat(path))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	// Hold the old file open: an atomic replace leaves its content as it
	// was.
	old := must[*os.File](t)(os.Open(path))
	defer old.Close()
	ok(t, fs.Save(ctx, client.Tokens{AccessToken: "new"}))
	b := make([]byte, 100)
	n, _ := old.ReadAt(b, 0)
	if !strings.Contains(string(b[:n]), `"old"`) {
		t.Fatalf("the old file was rewritten in place: %q", b[:n])
	}
	st2 := must[os.FileInfo](t)(os.Stat(path))
	if os.SameFile(st, st2) || st2.Mode().Perm() != 0o600 {
		t.Fatalf("not replaced by a new 0600 file (mode %v)", st2.Mode().Perm())
	}
	entries := must[[]os.DirEntry](t)(os.ReadDir(dir))
	if len(entries) != 1 {
		t.Fatalf("files left in the directory: %v", entries)
	}
	if got := must[client.Tokens](t)(fs.Load(ctx)); got.AccessToken != "new" {
		t.Fatalf("load %+v", got)
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		ok(t, os.Chmod(path, mode))
		if _, err := fs.Load(ctx); !errors.Is(err, client.ErrInsecureFile) {
			t.Fatalf("mode %v: err = %v, want ErrInsecureFile", mode, err)
		}
	}
	// Saving again makes it private.
	ok(t, fs.Save(ctx, client.Tokens{AccessToken: "again"}))
	if got := must[client.Tokens](t)(fs.Load(ctx)); got.AccessToken != "again" {
		t.Fatalf("load %+v", got)
	}
}

// TestFileStoreKeepsLoginAcrossClients: a second client on the same file
// is logged in (a command-line tool's next run).
func TestFileStoreKeepsLoginAcrossClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := start(t, nil)
	path := filepath.Join(t.TempDir(), "tokens.json")
	_, uid := s.loggedIn("kim", client.WithTokenStore(client.NewFileStore(path)))
	next := s.newClient(client.WithTokenStore(client.NewFileStore(path)))
	me := must[*client.Me](t)(next.Me(ctx))
	if me.User.ID != uid {
		t.Fatalf("me %+v", me)
	}
}
