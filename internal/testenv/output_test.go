package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputDir(t *testing.T) {
	t.Run("default is a temp dir", func(t *testing.T) {
		t.Setenv(UpdateScreenshotsEnv, "")
		t.Setenv(TestOutputEnv, "")
		if dir := OutputDir(t); strings.HasPrefix(dir, RepoRoot(t)) {
			t.Errorf("OutputDir = %s, want a temp dir outside the repo", dir)
		}
	})
	t.Run("GATEHOUSE_TEST_OUTPUT names the folder", func(t *testing.T) {
		want := filepath.Join(t.TempDir(), "artifacts")
		t.Setenv(UpdateScreenshotsEnv, "")
		t.Setenv(TestOutputEnv, want)
		if dir := OutputDir(t); dir != want {
			t.Errorf("OutputDir = %s, want %s", dir, want)
		}
		if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
			t.Errorf("folder not created: %v", err)
		}
	})
	t.Run("repo root holds go.mod", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(RepoRoot(t), "go.mod")); err != nil {
			t.Error(err)
		}
		if want := filepath.Join(mustGetwd(t), "..", ".."); RepoRoot(t) != want {
			t.Errorf("RepoRoot = %s, want two levels above internal/testenv", RepoRoot(t))
		}
	})
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
