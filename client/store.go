package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Tokens is what a client keeps between requests. DeviceID outlives a
// logout (it is not a credential, and logging in again as the same device
// replaces that device's session instead of adding one).
type Tokens struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	DeviceID     string `json:"device_id,omitempty"`
	// DPoPKey is the private key the tokens are bound to (RFC 9449), as
	// standard base64 of its PKCS#8 encoding (an Ed25519 or P-256 key);
	// empty for bearer tokens. Stores keep it with the tokens, so a token
	// and its key are always saved and loaded together: FileStore keeps
	// it in the same 0600 file. Logging out drops it; the next login
	// makes a new one.
	DPoPKey string `json:"dpop_key,omitempty"`
}

// loggedOut is t without its credentials.
func (t Tokens) loggedOut() Tokens { return Tokens{DeviceID: t.DeviceID} }

// TokenStore keeps the current Tokens. Load of an empty store is the zero
// Tokens and no error. Implementations must be safe for concurrent use;
// the Transport serialises its own Saves.
type TokenStore interface {
	Load(ctx context.Context) (Tokens, error)
	Save(ctx context.Context, t Tokens) error
}

// MemoryStore keeps tokens in memory, for the life of the process.
type MemoryStore struct {
	mu sync.Mutex
	t  Tokens
}

// Load returns the tokens.
func (m *MemoryStore) Load(context.Context) (Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t, nil
}

// Save replaces the tokens.
func (m *MemoryStore) Save(_ context.Context, t Tokens) error {
	m.mu.Lock()
	m.t = t
	m.mu.Unlock()
	return nil
}

// ErrInsecureFile is a token file that others than its owner may read or
// write: the tokens in it must be taken as leaked, so it is not used.
var ErrInsecureFile = errors.New("gatehouse: token file is readable or writable by group or others")

// FileStore keeps tokens in one JSON file with mode 0600, for tools that
// stay logged in between runs. A Save never leaves a half-written file: it
// writes a temporary file in the same directory, syncs it and renames it
// over the old one (then syncs the directory), so a crash leaves the old
// tokens or the new ones. It refuses to read a file that group or others
// may access (ErrInsecureFile). One process should own a file: two
// processes refreshing the same session race like two devices would.
type FileStore struct {
	Path string
	mu   sync.Mutex
}

// NewFileStore is a store at path (its directory must exist).
func NewFileStore(path string) *FileStore { return &FileStore{Path: path} }

// Load reads the file; a missing file is an empty store.
func (f *FileStore) Load(context.Context) (Tokens, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Tokens{}, nil
	}
	if err != nil {
		return Tokens{}, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return Tokens{}, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Tokens{}, fmt.Errorf("%w: %s has mode %v", ErrInsecureFile, f.Path, st.Mode().Perm())
	}
	var t Tokens
	if err := json.NewDecoder(fh).Decode(&t); err != nil {
		return Tokens{}, fmt.Errorf("gatehouse: token file %s: %w", f.Path, err)
	}
	return t, nil
}

// Save replaces the file atomically.
func (f *FileStore) Save(_ context.Context, t Tokens) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
