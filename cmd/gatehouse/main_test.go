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

// TestUnusableSettingsExit2BeforeTouchingData: settings the server cannot
// run with are configuration errors (exit 2, the flag named, no panic, no
// database created). --argon2-threads 4 --argon2-memory 16 used to panic in
// argon2 after the signing key was made; a short admin token used to start.
func TestUnusableSettingsExit2BeforeTouchingData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"argon2 under 8 KiB per thread", nil, []string{"--argon2-threads", "4", "--argon2-memory", "16"}, "--argon2-memory: must be at least 8 KiB per thread"},
		{"argon2 threads over 255", nil, []string{"--argon2-threads", "256", "--argon2-memory", "4096"}, "--argon2-threads"},
		{"short admin token by flag", nil, []string{"--admin-token", "hunter2"}, "--admin-token: must be at least 32 bytes"},
		{"short admin token by env", []string{"GATEHOUSE_ADMIN_TOKEN=" + strings.Repeat("k", 31)}, nil, "--admin-token: must be at least 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
			cmd.Env = append(append(os.Environ(), "GATEHOUSE_DATA_DIR="+data, "GATEHOUSE_ARGON2_TIME=1"), tc.env...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit: %v\n%s", err, errb.String())
			}
			out := errb.String()
			if !strings.Contains(out, "invalid configuration") || !strings.Contains(out, tc.want) || strings.Contains(out, "panic") {
				t.Fatalf("stderr does not explain %q:\n%s", tc.want, out)
			}
			if _, err := os.Stat(filepath.Join(data, "gatehouse.db")); !os.IsNotExist(err) {
				t.Fatalf("database created before the configuration was checked: %v", err)
			}
		})
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
	warned := false
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["level"] == "WARN" && strings.HasPrefix(line["msg"].(string), "admin API disabled") {
			warned = true
		}
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
	if !warned {
		t.Error("no startup warning that the admin API is disabled (no admin token set)")
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
