package static_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/web/static"
)

func TestEmbeddedMatchesFile(t *testing.T) {
	onDisk, err := os.ReadFile("gatehouse.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, static.GatehouseJS) {
		t.Fatal("static.GatehouseJS differs from gatehouse.js")
	}
}

// TestGatehouseJS runs the JavaScript tests with Node's built-in runner. Node
// is an integration dependency: without it the test skips, except in CI
// (GATEHOUSE_REQUIRE_INTEGRATION=1), where it fails.
func TestGatehouseJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("GATEHOUSE_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("node not found in PATH and GATEHOUSE_REQUIRE_INTEGRATION=1 (install Debian's nodejs)")
		}
		t.Skip("node not found in PATH; install nodejs to run the gatehouse.js tests (GATEHOUSE_REQUIRE_INTEGRATION=1 makes this a failure)")
	}
	files, err := filepath.Glob("*.test.mjs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs files: %v", err)
	}
	cmd := exec.Command(node, append([]string{"--test"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %v: %v\n%s", files, err, out)
	}
	t.Logf("node --test %v:\n%s", files, lastLines(out, 10))
}

// lastLines keeps the runner's summary (tests, pass, fail, duration).
func lastLines(b []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}
