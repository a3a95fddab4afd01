package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrKeyFileMode: the master key file can be read by group or others.
var ErrKeyFileMode = errors.New("seal: master key file is accessible by group or others")

// ParseKey decodes a master key given as standard base64 (with padding),
// the form GATEHOUSE_MASTER_KEY takes: `head -c 32 /dev/urandom | base64`.
func ParseKey(b64 string) ([]byte, error) {
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("seal: master key is not standard base64: %w", err)
	}
	if len(k) != MasterKeyLen {
		return nil, fmt.Errorf("%w, got %d", ErrMasterKey, len(k))
	}
	return k, nil
}

// LoadOrCreateKeyFile reads the master key file at path: exactly
// MasterKeyLen raw bytes, mode 0600 or stricter. If it does not exist it is
// created with mode 0600 and fresh random bytes; created says so. The file
// appears complete or not at all (written aside, then linked), so two
// processes starting at once read the same key.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, false, err
	} else if err == nil {
		created = true
	}
	key, err = readKeyFile(path)
	return key, created, err
}

func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrKeyFileMode, path, perm, path)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != MasterKeyLen {
		return nil, fmt.Errorf("seal: master key file %s holds %d bytes, want exactly %d raw bytes", path, len(key), MasterKeyLen)
	}
	return key, nil
}

func createKeyFile(path string) error {
	key := make([]byte, MasterKeyLen)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; Chmod in case of an odd umask.
	err = errors.Join(tmp.Chmod(0o600), write(tmp, key), tmp.Sync(), tmp.Close())
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path) // fails with ErrExist if another process won
}

func write(f *os.File, b []byte) error {
	_, err := f.Write(b)
	return err
}
