package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Redis is a redis-server of a test's own (never the machine's shared
// one), on a free loopback port in a temp dir, without persistence
// (--save ” --appendonly no): failure tests pause, kill and restart it.
type Redis struct {
	// Addr is host:port.
	Addr string

	bin, dir, portDirective string
	port                    int
	conf                    []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartRedis starts a redis-server with conf as extra redis.conf lines. It
// skips the test when redis-server is not installed (fails under
// GATEHOUSE_REQUIRE_INTEGRATION=1); the server is killed when the test ends.
func StartRedis(t testing.TB, conf ...string) *Redis {
	t.Helper()
	return StartRedisOn(t, "port", conf...)
}

// StartRedisOn is StartRedis listening with portDirective ("port", or
// "tls-port" with conf turning TLS on).
func StartRedisOn(t testing.TB, portDirective string, conf ...string) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		RequireIntegration(t, "redis-server", "install it with `apt-get install redis-server`")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &Redis{Addr: fmt.Sprintf("127.0.0.1:%d", port), bin: bin, dir: t.TempDir(),
		portDirective: portDirective, port: port, conf: conf}
	if err := os.WriteFile(filepath.Join(r.dir, "redis.conf"), []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	return r
}

// Start starts a new, empty server on the same port after Kill.
func (r *Redis) Start(t testing.TB) {
	t.Helper()
	r.start(t)
}

func (r *Redis) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(r.bin, filepath.Join(r.dir, "redis.conf"), "--port", "0", "--"+r.portDirective, fmt.Sprint(r.port),
		"--bind", "127.0.0.1", "--dir", r.dir, "--save", "", "--appendonly", "no",
		"--logfile", filepath.Join(r.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", r.Addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %v", r.Addr, err)
		}
		time.Sleep(10 * time.Millisecond) // polling a child process's start, not a test clock
	}
}

// Process is the running server's process.
func (r *Redis) Process() *os.Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cmd.Process
}

// Pause stops the server (SIGSTOP): its connections stay open and nothing
// answers, like a stalled host. The test's end resumes nothing: the
// cleanup kills it either way.
func (r *Redis) Pause(t testing.TB) {
	t.Helper()
	if err := r.Process().Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// Resume continues a paused server (SIGCONT).
func (r *Redis) Resume(t testing.TB) {
	t.Helper()
	if err := r.Process().Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// Kill kills the server (SIGKILL) and waits for it to be gone.
func (r *Redis) Kill(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// Restart kills the server and starts a new, empty one (no persistence) on
// the same port: a Redis that crashed and came back without its data.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.Kill(t)
	r.Start(t)
}
