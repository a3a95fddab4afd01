package testenv

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisCluster is a Redis Cluster of a test's own: three primaries (no
// replicas), each a redis-server --cluster-enabled yes on free loopback
// ports (client and bus) in its own temp dir, joined with redis-cli
// --cluster create. The servers are killed when the test ends.
type RedisCluster struct {
	Nodes []*Redis
	cli   string
}

// StartRedisCluster starts and joins the three primaries and waits until
// every node reports cluster_state:ok. It skips the test when
// redis-server or redis-cli is missing (fails under
// GATEHOUSE_REQUIRE_INTEGRATION=1).
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		RequireIntegration(t, "redis-cli", "install it with `apt-get install redis-tools`")
	}
	rc := &RedisCluster{cli: cli}
	args := []string{"--cluster", "create"}
	for range 3 {
		n := StartRedis(t, "cluster-enabled yes", "cluster-config-file nodes.conf",
			"cluster-node-timeout 5000", fmt.Sprintf("cluster-port %d", freePort(t)),
			"cluster-require-full-coverage yes")
		rc.Nodes = append(rc.Nodes, n)
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	rc.waitOK(t)
	return rc
}

// RestartEmpty kills primary n (SIGKILL) and starts it again on the same
// ports and directory, without data (no persistence) but with its
// nodes.conf, so it rejoins the Cluster as itself with its slots: a
// primary without a replica that crashed and came back empty. It waits
// until every node reports cluster_state:ok again.
func (rc *RedisCluster) RestartEmpty(t testing.TB, n *Redis) {
	t.Helper()
	n.Kill(t)
	n.Start(t)
	rc.waitOK(t)
	if !strings.Contains(rc.mustCmd(t, n, "CLUSTER", "NODES"), "myself,master") {
		t.Fatalf("%s restarted: not a primary any more", n.Addr)
	}
}

// waitOK waits until every node reports cluster_state:ok.
func (rc *RedisCluster) waitOK(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		ok := true
		for _, n := range rc.Nodes {
			info, err := rc.Cmd(n, "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Redis Cluster did not reach cluster_state:ok in 30s")
		}
		time.Sleep(50 * time.Millisecond) // polling the cluster's convergence, not a test clock
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the store URL naming every node as a seed.
func (rc *RedisCluster) URL() string {
	addrs := make([]string, len(rc.Nodes))
	for i, n := range rc.Nodes {
		addrs[i] = n.Addr
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// Cmd runs one command on node n through redis-cli and returns its output.
func (rc *RedisCluster) Cmd(n *Redis, args ...string) (string, error) {
	host, port, _ := net.SplitHostPort(n.Addr)
	out, err := exec.Command(rc.cli, append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err == nil && strings.HasPrefix(s, "ERR") {
		err = fmt.Errorf("%s", s)
	}
	return s, err
}

func (rc *RedisCluster) mustCmd(t testing.TB, n *Redis, args ...string) string {
	t.Helper()
	out, err := rc.Cmd(n, args...)
	if err != nil {
		t.Fatalf("%s %v: %v (%s)", n.Addr, args, err, out)
	}
	return out
}

// NodeID is node n's cluster id.
func (rc *RedisCluster) NodeID(t testing.TB, n *Redis) string {
	t.Helper()
	return rc.mustCmd(t, n, "CLUSTER", "MYID")
}

// Slot is the hash slot of key.
func (rc *RedisCluster) Slot(t testing.TB, key string) int {
	t.Helper()
	v, err := strconv.Atoi(rc.mustCmd(t, rc.Nodes[0], "CLUSTER", "KEYSLOT", key))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Owner is the node that serves slot now (by CLUSTER NODES of the first
// node).
func (rc *RedisCluster) Owner(t testing.TB, slot int) *Redis {
	t.Helper()
	out := rc.mustCmd(t, rc.Nodes[0], "CLUSTER", "NODES")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a migration in progress, not ownership
			}
			lo, hi, found := strings.Cut(r, "-")
			if !found {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && slot >= a && slot <= b {
				for _, n := range rc.Nodes {
					if n.Addr == addr {
						return n
					}
				}
			}
		}
	}
	t.Fatalf("no owner of slot %d in CLUSTER NODES:\n%s", slot, out)
	return nil
}

// MigrateSlot moves slot to node to the way redis-cli --cluster reshard
// does: IMPORTING on the target, MIGRATING on the source, the keys moved
// with MIGRATE a few at a time, then SETSLOT NODE on every node. During
// the move clients get ASK (and TRYAGAIN) redirections; afterwards MOVED.
// between runs after each phase (nil: nothing), so a test can widen the
// window in which the slot is half moved.
func (rc *RedisCluster) MigrateSlot(t testing.TB, slot int, to *Redis, between func(phase string)) {
	t.Helper()
	from := rc.Owner(t, slot)
	if from == to {
		return
	}
	if between == nil {
		between = func(string) {}
	}
	s, fromID, toID := strconv.Itoa(slot), rc.NodeID(t, from), rc.NodeID(t, to)
	rc.mustCmd(t, to, "CLUSTER", "SETSLOT", s, "IMPORTING", fromID)
	rc.mustCmd(t, from, "CLUSTER", "SETSLOT", s, "MIGRATING", toID)
	between("migrating")
	host, port, _ := net.SplitHostPort(to.Addr)
	for {
		keys := strings.Fields(rc.mustCmd(t, from, "CLUSTER", "GETKEYSINSLOT", s, "10"))
		if len(keys) == 0 {
			break
		}
		rc.mustCmd(t, from, append([]string{"MIGRATE", host, port, "", "0", "5000", "KEYS"}, keys...)...)
		between("keys moved")
	}
	for _, n := range []*Redis{to, from} {
		rc.mustCmd(t, n, "CLUSTER", "SETSLOT", s, "NODE", toID)
	}
	for _, n := range rc.Nodes {
		if n != to && n != from {
			rc.mustCmd(t, n, "CLUSTER", "SETSLOT", s, "NODE", toID)
		}
	}
	between("done")
}
