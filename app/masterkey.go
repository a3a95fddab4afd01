package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keys/seal"
)

// masterKey is the opened master key and where it came from, for messages.
type masterKey struct {
	box     *seal.Box
	source  string // "GATEHOUSE_MASTER_KEY" or the file's path
	created string // the file this start created, "" if none
}

// openMasterKey takes the master key from --master-key (GATEHOUSE_MASTER_KEY)
// if set, else from --master-key-file (<data-dir>/master.key), creating that
// file with mode 0600 on first start. The key never goes near the database.
func openMasterKey(c config.Config, log *slog.Logger) (masterKey, error) {
	if c.MasterKey != "" {
		k, err := seal.ParseKey(c.MasterKey)
		if err != nil {
			return masterKey{}, fmt.Errorf("--master-key: %w", err)
		}
		box, err := seal.New(k)
		return masterKey{box: box, source: "GATEHOUSE_MASTER_KEY"}, err
	}
	path := c.MasterKeyPath()
	k, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		return masterKey{}, fmt.Errorf("master key: %w", err)
	}
	box, err := seal.New(k)
	if err != nil {
		return masterKey{}, err
	}
	mk := masterKey{box: box, source: path}
	if created {
		mk.created = path
		log.Warn("created a new master key: back it up apart from the database (a backup of one without the other is useless)", "path", path)
	}
	return mk, nil
}

// explain turns a value that does not open into the message an operator
// needs. A key file this start created is removed again: it can open
// nothing here, and leaving it would hide the missing one at the next start.
func (mk masterKey) explain(db string, err error) error {
	if !errors.Is(err, seal.ErrOpen) {
		return err
	}
	if mk.created != "" {
		os.Remove(mk.created)
		return fmt.Errorf("master key does not open the keys in %s: no master key was found at %s, and the database was sealed with one; restore it (or set GATEHOUSE_MASTER_KEY): %w", db, mk.created, err)
	}
	return fmt.Errorf("master key does not open the keys in %s (key from %s): it is not the key this database was sealed with: %w", db, mk.source, err)
}
