package scripts

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// TestClusterDemoSyntax: bash parses the script (no bash: skip).
func TestClusterDemoSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		testenv.RequireIntegration(t, "bash", "install it")
	}
	if out, err := exec.Command(bash, "-n", "cluster-demo.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n cluster-demo.sh: %v\n%s", err, out)
	}
}

// TestClusterDemo runs scripts/cluster-demo.sh for both topologies against
// the test PostgreSQL (GATEHOUSE_TEST_POSTGRES_URL) and a private
// redis-server: it builds the binary, starts three nodes and checks every
// step of the story itself, exiting non-zero on the first surprise. Exit
// 77 (something it needs is missing) skips, or fails under
// GATEHOUSE_REQUIRE_INTEGRATION=1. -short skips it (it builds the binary).
func TestClusterDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the demo builds the binary and starts three nodes")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		testenv.RequireIntegration(t, "bash", "install it")
	}
	for _, topology := range []string{"redis+postgres", "postgres"} {
		t.Run(topology, func(t *testing.T) {
			cmd := exec.Command(bash, "cluster-demo.sh", topology)
			cmd.Env = append(os.Environ(), "GATEHOUSE_DEMO_POSTGRES_URL="+testenv.PostgresURL(), "GATEHOUSE_DEMO_REDIS_URL=")
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 77 {
				testenv.RequireIntegration(t, strings.TrimSpace(string(out)), "see the script's header")
			}
			if err != nil {
				t.Fatalf("cluster-demo.sh %s: %v\n%s", topology, err, out)
			}
			if !strings.Contains(string(out), "done: every step went as expected") {
				t.Fatalf("cluster-demo.sh %s exited 0 without finishing:\n%s", topology, out)
			}
			t.Logf("%s", out)
		})
	}
}
