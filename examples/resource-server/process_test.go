package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/client"
)

// TestExampleAsProcesses builds the gatehouse binary and this example and
// runs both as a user would (two processes talking over loopback): a token
// works at the example, and once the user logs out on Gatehouse the example
// refuses it within the 50 ms propagation bound.
func TestExampleAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	ghBin, exBin := filepath.Join(dir, "gatehouse"), filepath.Join(dir, "resource-server")
	for bin, pkg := range map[string]string{ghBin: "../../cmd/gatehouse", exBin: "."} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	gh := exec.CommandContext(ctx, ghBin, "serve", "--addr", "127.0.0.1:0", "--issuer", "http://gatehouse.test", "--log-format", "json", "--ui=false")
	gh.Env = append(os.Environ(), "GATEHOUSE_DATA_DIR="+t.TempDir(), "GATEHOUSE_ARGON2_MEMORY=64", "GATEHOUSE_ARGON2_TIME=1",
		"GATEHOUSE_FEED_TOKEN="+feedToken)
	ghURL := startAndRead(t, gh, func(line []byte) string {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["msg"] == "gatehouse listening" {
			s, _ := m["addr"].(string)
			return s
		}
		return ""
	})

	ex := exec.CommandContext(ctx, exBin, "-addr", "127.0.0.1:0", "-gatehouse", ghURL, "-issuer", "http://gatehouse.test")
	ex.Env = append(os.Environ(), "GATEHOUSE_FEED_TOKEN="+feedToken)
	exURL := startAndRead(t, ex, func(line []byte) string {
		_, after, ok := bytes.Cut(line, []byte("resource server on "))
		if !ok {
			return ""
		}
		return string(after)
	})

	call := func(method, url, bearer string, body any) (int, map[string]any) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, url, rd)
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	// Gatehouse through the Go client; the example with the token as a
	// resource server receives it.
	gc := client.New(ghURL)
	if _, err := gc.Signup(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatalf("signup: %v", err)
	}
	pair, err := gc.Login(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	tok := pair.AccessToken
	if st, m := call("GET", exURL+"/api/whoami", tok, nil); st != 200 || m["session_id"] != pair.SessionID {
		t.Fatalf("whoami %d %v", st, m)
	}
	if err := gc.Logout(ctx, client.ScopeLocal); err != nil {
		t.Fatalf("logout: %v", err)
	}
	start := time.Now()
	for {
		st, m := call("GET", exURL+"/api/whoami", tok, nil)
		if st == 401 && m["error"] == "token_revoked" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("still %d %v after logout", st, m)
		}
	}
	d := time.Since(start)
	t.Logf("logout on the gatehouse process → refused by the example process: %v", d)
	if d > 50*time.Millisecond {
		t.Fatalf("refused after %v, want ≤ 50ms", d)
	}
	for _, c := range []*exec.Cmd{ex, gh} {
		_ = c.Process.Signal(syscall.SIGINT)
		if err := c.Wait(); err != nil {
			t.Errorf("%s exit: %v", filepath.Base(c.Path), err)
		}
	}
}

// startAndRead starts cmd and reads its stderr until find returns the
// address it announces; the rest of stderr is drained in the background.
func startAndRead(t *testing.T, cmd *exec.Cmd, find func(line []byte) string) string {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stderr)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if addr := find(sc.Bytes()); addr != "" {
			go func() {
				for sc.Scan() {
				}
			}()
			if !strings.HasPrefix(addr, "http://") {
				addr = "http://" + addr
			}
			return strings.TrimSpace(addr)
		}
	}
	t.Fatalf("%s never announced its address:\n%s", filepath.Base(cmd.Path), strings.Join(seen, "\n"))
	return ""
}
