package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a PostgreSQL server of a test's own (never the
// machine's shared one): a fresh cluster (initdb) in a temp dir, trust
// authentication, listening on a free loopback port. Failure tests stop,
// kill, pause and restart it; Restart keeps the data dir and the port, so a
// store's URL stays valid across it.
//
// initdb and postgres refuse to run as root: when the test runs as root
// the server runs as the `postgres` OS user (syscall credentials), in a
// temp dir that user owns. Kill and Pause reach the postmaster and every
// process it forked (backends, checkpointer, …) at once, like a host that
// dies or stalls. If the test binary dies, the kernel kills the postmaster
// (Pdeathsig) and its backends exit with it.
type PostgresServer struct {
	// URL is a postgres:// URL for the server's `postgres` database, as
	// superuser postgres, without TLS.
	URL string
	// Port is the loopback port it listens on.
	Port int

	bin, data, sock, log string
	cred                 *syscall.Credential

	mu      sync.Mutex
	cmd     *exec.Cmd
	waited  chan struct{} // closed when cmd has been waited for
	running bool
}

// StartPostgres creates a cluster and starts its server. It skips the test
// when PostgreSQL's programs (initdb, postgres) are missing, or when the
// test runs as root and there is no `postgres` user to run them as (fails
// under GATEHOUSE_REQUIRE_INTEGRATION=1). The server is killed and its
// directory removed when the test ends.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	initdb, postgres := pgPrograms()
	if initdb == "" || postgres == "" {
		RequireIntegration(t, "PostgreSQL's initdb and postgres",
			"install them with `apt-get install postgresql` (they are looked for in /usr/lib/postgresql/*/bin and PATH)")
	}
	p := &PostgresServer{bin: postgres}
	owner := -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			RequireIntegration(t, "a `postgres` OS user (initdb refuses to run as root)",
				"install postgresql, which creates it, or run the tests as another user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		owner = uid
	}
	// Not t.TempDir: its parents are 0700 and root's, out of the
	// postgres user's reach.
	dir, err := os.MkdirTemp("", "gh-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if owner >= 0 {
		if err := os.Chown(dir, owner, -1); err != nil {
			t.Fatal(err)
		}
	}
	p.data, p.sock, p.log = filepath.Join(dir, "data"), dir, filepath.Join(dir, "postgres.log")

	cmd := exec.Command(initdb, "-D", p.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
	p.Start(t)
	t.Cleanup(func() {
		p.mu.Lock()
		running, cmd, waited := p.running, p.cmd, p.waited
		p.running = false
		p.mu.Unlock()
		if running {
			signalTree(cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
	})
	return p
}

// pgPrograms finds initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin (Debian), else PATH.
func pgPrograms() (initdb, postgres string) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if isExec(i) && isExec(p) {
			return i, p
		}
	}
	initdb, _ = exec.LookPath("initdb")
	postgres, _ = exec.LookPath("postgres")
	return initdb, postgres
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start starts the server on its data dir and port (after Stop or Kill)
// and waits until it accepts connections.
func (p *PostgresServer) Start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, "-D", p.data, "-p", strconv.Itoa(p.Port), "-k", p.sock,
		// fsync=off loses nothing to a killed process (the page cache
		// survives it), only to a crashed machine; synchronous_commit
		// stays on, or a kill -9 would lose committed transactions.
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	p.mu.Lock()
	p.cmd, p.waited, p.running = cmd, waited, true
	p.mu.Unlock()
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-waited:
			t.Fatalf("postgres exited at start: %s\n%s", cmd.ProcessState, p.tail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, p.URL)
		if err == nil {
			c.Close(ctx)
			cancel()
			return
		}
		cancel()
		last = err
		time.Sleep(20 * time.Millisecond) // polling a child process's start, not a test clock
	}
	t.Fatalf("postgres on port %d did not start: %v\n%s", p.Port, last, p.tail())
}

// tail is the end of the server's log, for failure messages.
func (p *PostgresServer) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// signal sends sig to the postmaster and every child of it. Backends are
// not in the postmaster's process group (each calls setsid), so they are
// found in /proc: the postmaster is stopped first, so it forks none while
// its children are listed, then they get sig, then the postmaster.
func (p *PostgresServer) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		t.Fatalf("postgres on port %d is not running", p.Port)
	}
	if err := signalTree(p.cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
}

func signalTree(pid int, sig syscall.Signal) error {
	_, err := signalTreeList(pid, sig)
	return err
}

// signalTreeList is signalTree that also returns the children signalled.
func signalTreeList(pid int, sig syscall.Signal) ([]int, error) {
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, err
	}
	cs := children(pid)
	for _, c := range cs {
		syscall.Kill(c, sig) // one may have exited meanwhile
	}
	return cs, syscall.Kill(pid, sig)
}

// exited reports whether pid has exited (gone, or a zombie: either way it
// holds no shared memory any more).
func exited(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

// wait waits for the postmaster to exit (bounded: a shutdown that hangs
// fails the test instead of hanging it).
func (p *PostgresServer) wait(t testing.TB, what string) {
	t.Helper()
	p.mu.Lock()
	waited := p.waited
	p.mu.Unlock()
	select {
	case <-waited:
	case <-time.After(60 * time.Second):
		t.Fatalf("postgres on port %d did not exit after %s\n%s", p.Port, what, p.tail())
	}
	p.mu.Lock()
	p.running = false
	p.mu.Unlock()
}

// Stop shuts the server down the way an operator does (fast shutdown,
// SIGINT: open transactions are rolled back, clients disconnected with
// 57P01) and waits for it to exit.
func (p *PostgresServer) Stop(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGCONT) // harmless if running; a paused server must run to shut down
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil { // the postmaster tells its children
		t.Fatal(err)
	}
	p.wait(t, "SIGINT")
}

// Kill kills the postmaster and every backend at once (SIGKILL to the
// process group), like a host that died, and waits for the postmaster.
// The next Start runs crash recovery.
func (p *PostgresServer) Kill(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		t.Fatalf("postgres on port %d is not running", p.Port)
	}
	cs, err := signalTreeList(p.cmd.Process.Pid, syscall.SIGKILL)
	p.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	p.wait(t, "SIGKILL")
	// The next Start refuses while a backend still holds the old shared
	// memory: wait for every child to be gone too.
	for deadline := time.Now().Add(30 * time.Second); ; {
		left := slices.DeleteFunc(slices.Clone(cs), exited)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres children %v outlived SIGKILL", left)
		}
		time.Sleep(5 * time.Millisecond) // polling the kernel's reaping, not a test clock
	}
}

// Pause stops every process of the server (SIGSTOP): connections stay open
// and nothing answers, like a stalled host. Resume continues it.
func (p *PostgresServer) Pause(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGSTOP)
}

// Resume continues a paused server (SIGCONT).
func (p *PostgresServer) Resume(t testing.TB) {
	t.Helper()
	p.signal(t, syscall.SIGCONT)
}

// Restart stops the server (fast shutdown) and starts it again on the same
// port and data dir.
func (p *PostgresServer) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.Start(t)
}

// Schema returns the server's URL with search_path set to a fresh schema
// name (gh_test_<random>) for the caller's store to create. Nothing drops
// it: the whole cluster goes with the test.
func (p *PostgresServer) Schema() (url, schema string) {
	schema = "gh_test_" + strings.ToLower(rand.Text()[:12])
	return p.URL + "&search_path=" + schema, schema
}
