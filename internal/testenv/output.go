package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Environment variables that choose where OutputDir writes.
const (
	// UpdateScreenshotsEnv=1 makes OutputDir the committed docs/screenshots
	// folder, so a developer refreshes the images the docs link to on purpose,
	// never as a side effect of an ordinary `go test ./...`.
	UpdateScreenshotsEnv = "GATEHOUSE_UPDATE_SCREENSHOTS"
	// TestOutputEnv names a folder (CI artifacts, or a folder to look at by
	// hand) that receives the files instead of a throw-away temp dir.
	TestOutputEnv = "GATEHOUSE_TEST_OUTPUT"
)

// OutputDir is the folder a test writes its screenshots and similar files
// to, created if missing:
//
//   - <repo>/docs/screenshots when GATEHOUSE_UPDATE_SCREENSHOTS=1;
//   - otherwise the folder named by GATEHOUSE_TEST_OUTPUT, if set;
//   - otherwise t.TempDir(), removed after the test.
//
// The first two are shared by every test, so each test picks file names of
// its own (login-en.png, account-ko.png, …).
func OutputDir(t testing.TB) string {
	t.Helper()
	var dir string
	switch {
	case os.Getenv(UpdateScreenshotsEnv) == "1":
		dir = filepath.Join(RepoRoot(t), "docs", "screenshots")
	case os.Getenv(TestOutputEnv) != "":
		dir = os.Getenv(TestOutputEnv)
	default:
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("test output folder: %v", err)
	}
	return dir
}

// RepoRoot is the folder holding the module's go.mod, found by walking up
// from the test's working directory (go test runs a test in its package's
// folder).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("repo root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("repo root: no go.mod above the working directory")
		}
		dir = parent
	}
}
