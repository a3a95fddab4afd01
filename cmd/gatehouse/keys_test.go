package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// Issue 7, item 4: `gatehouse user list` (and every other command) with the
// default --access-ttl 15m, on a data dir served with --access-ttl 1h, must
// not delete the key the server retired 30 minutes ago: its tokens live
// another half hour.
func TestUserListDoesNotDeleteKeys(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	c := config.Defaults()
	c.DataDir, c.AccessTTL = data, time.Hour
	c.Argon2Memory, c.Argon2Time = 64, 1
	clk := testenv.NewClock(time.Now().Add(-31 * time.Minute))
	srv, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	old := srv.Keys.Ring().Signer().ID
	clk.Add(time.Minute) // the server retires it 30 minutes ago
	nk, err := srv.Keys.Rotate(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if nk.ID == old || !stored(t, data, old) {
		t.Fatal("setup: no retired key")
	}

	for _, args := range [][]string{{"user", "list"}, {"keys", "list"}, {"version"}} {
		if out, errOut, code := gh(t, data, "", args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
		if !stored(t, data, old) {
			t.Fatalf("`gatehouse %s` deleted a retired key whose tokens are still valid", strings.Join(args, " "))
		}
	}
	if _, errOut, code := gh(t, data, "correct horse battery\n", "user", "add", "bob"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	if !stored(t, data, old) {
		t.Fatal("`gatehouse user add` deleted a retired key whose tokens are still valid")
	}
	out, _, _ := gh(t, data, "", "keys", "list")
	if !strings.Contains(out, old) || !strings.Contains(out, "kept until") {
		t.Fatalf("keys list: %s", out)
	}
}

func stored(t *testing.T, data, kid string) bool {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), app.DBPath(config.Config{DataDir: data}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ks, err := st.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.ID == kid {
			return true
		}
	}
	return false
}
