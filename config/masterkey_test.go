package config

import (
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMasterKeySettings(t *testing.T) {
	t.Parallel()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	c, _, err := Load("serve", []string{"--data-dir", "/srv/g"}, nil, io.Discard, nil)
	if err != nil || c.MasterKeyPath() != filepath.Join("/srv/g", "master.key") || c.MasterKey != "" {
		t.Fatalf("default: %q %q %v", c.MasterKeyPath(), c.MasterKey, err)
	}
	file := filepath.Join(t.TempDir(), "g.yaml")
	os.WriteFile(file, []byte("master-key-file: /etc/gatehouse/master.key\n"), 0o600)
	c, _, err = Load("serve", []string{"--config", file}, []string{"GATEHOUSE_MASTER_KEY=" + key}, io.Discard, nil)
	if err != nil || c.MasterKeyPath() != "/etc/gatehouse/master.key" || c.MasterKey != key {
		t.Fatalf("file + env: %q %q %v", c.MasterKeyPath(), c.MasterKey, err)
	}
	c, _, err = Load("serve", []string{"--master-key-file", "/k"}, []string{"GATEHOUSE_MASTER_KEY_FILE=/env"}, io.Discard, nil)
	if err != nil || c.MasterKeyPath() != "/k" {
		t.Fatalf("flag: %q %v", c.MasterKeyPath(), err)
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString(make([]byte, 16)),
		base64.RawStdEncoding.EncodeToString(make([]byte, 32)), base64.URLEncoding.EncodeToString(make([]byte, 31)) + "_"} {
		_, _, err := Load("serve", nil, []string{"GATEHOUSE_MASTER_KEY=" + bad}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "--master-key") || strings.Contains(err.Error(), bad) {
			t.Errorf("master key %q: %v", bad, err)
		}
	}
}
