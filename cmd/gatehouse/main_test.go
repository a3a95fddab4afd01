package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var bin string

// TestMain builds the real binary once; the tests run it as users would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "gatehouse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gh runs the binary with a cheap argon2 cost on its own data dir.
func gh(t *testing.T, data, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GATEHOUSE_DATA_DIR="+data, "GATEHOUSE_ARGON2_MEMORY=64", "GATEHOUSE_ARGON2_TIME=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestHelpTeaches(t *testing.T) {
	t.Parallel()
	out, _, code := gh(t, t.TempDir(), "", "--help")
	if code != 0 || !strings.Contains(out, "gatehouse serve") || !strings.Contains(out, "user add") || !strings.Contains(out, "keys rotate") {
		t.Fatalf("--help: %d %s", code, out)
	}
	out, _, code = gh(t, t.TempDir(), "", "serve", "--help")
	for _, want := range []string{"--access-ttl", "default 15m0s", "GATEHOUSE_ACCESS_TTL", "--max-sessions", "--config"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q (exit %d)", want, code)
		}
	}
	out, _, code = gh(t, t.TempDir(), "", "version")
	if code != 0 || !strings.HasPrefix(out, "gatehouse ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if _, _, code = gh(t, t.TempDir(), "", "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

func TestBadConfigurationExits2WithEveryProblem(t *testing.T) {
	t.Parallel()
	_, errOut, code := gh(t, t.TempDir(), "", "serve", "--access-ttl=0s", "--signing-alg=RS512", "--session-overflow=coin-flip")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--access-ttl", "--signing-alg", "--session-overflow"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %s: %s", want, errOut)
		}
	}
}

func TestUserAndKeysSubcommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	out, errOut, code := gh(t, data, "correct horse battery\n", "user", "add", "alice", "--roles", "admin,ops")
	if code != 0 || !strings.Contains(out, "created user alice") {
		t.Fatalf("user add: %d %s %s", code, out, errOut)
	}
	if _, errOut, code = gh(t, data, "correct horse battery\n", "user", "add", "ALICE"); code == 0 || !strings.Contains(errOut, "taken") {
		t.Fatalf("duplicate user add: %d %s", code, errOut)
	}
	out, _, _ = gh(t, data, "", "user", "list")
	if !strings.Contains(out, "alice") || !strings.Contains(out, "admin,ops") {
		t.Fatalf("user list: %s", out)
	}
	out, _, code = gh(t, data, "", "user", "roles", "alice", "viewer")
	if code != 0 || !strings.Contains(out, "[viewer]") {
		t.Fatalf("user roles: %d %s", code, out)
	}
	if out, errOut, code = gh(t, data, "a brand new password\n", "user", "passwd", "alice"); code != 0 {
		t.Fatalf("user passwd: %d %s %s", code, out, errOut)
	}
	out, _, _ = gh(t, data, "", "keys", "list")
	if strings.Count(out, "EdDSA") != 1 || !strings.Contains(out, "signing") {
		t.Fatalf("keys list: %s", out)
	}
	out, _, code = gh(t, data, "", "keys", "rotate", "--prepublish", "10m")
	if code != 0 || !strings.Contains(out, "new EdDSA key") {
		t.Fatalf("keys rotate: %d %s", code, out)
	}
	out, _, _ = gh(t, data, "", "keys", "list")
	if !strings.Contains(out, "pending") || !strings.Contains(out, "signing") {
		t.Fatalf("keys list after prepublish: %s", out)
	}
}

// TestServeStartsAndStopsOnSIGTERM runs `gatehouse serve` as the README does,
// with a YAML config, and checks the startup line and a clean exit.
func TestServeStartsAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cfg := filepath.Join(data, "g.yaml")
	os.WriteFile(cfg, []byte("addr: 127.0.0.1:0\naudience: yaml-aud\nlog-format: json\n"), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "GATEHOUSE_DATA_DIR="+data, "GATEHOUSE_ARGON2_MEMORY=64")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var addr string
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "gatehouse listening" {
			addr, _ = line["addr"].(string)
			if line["db"] != filepath.Join(data, "gatehouse.db") || line["store"] != "sqlite" {
				t.Errorf("startup line does not say where it stores: %v", line)
			}
			break
		}
	}
	if addr == "" {
		t.Fatal("no startup line")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	res, err := http.Get(addr + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "gatehouse.db")); err != nil {
		t.Fatal(err)
	}
}
