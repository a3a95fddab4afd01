package testenv

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// outcomeTB records how RequireIntegration ended a test instead of ending it.
type outcomeTB struct {
	testing.TB
	how, msg string
}

func (f *outcomeTB) Helper() {}
func (f *outcomeTB) Fatalf(format string, args ...any) {
	f.how, f.msg = "fail", fmt.Sprintf(format, args...)
	panic(f)
}
func (f *outcomeTB) Skipf(format string, args ...any) {
	f.how, f.msg = "skip", fmt.Sprintf(format, args...)
	panic(f)
}

func TestRequireIntegration(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", "skip"},
		{"0", "skip"},
		{"1", "fail"},
	} {
		t.Run("GATEHOUSE_REQUIRE_INTEGRATION="+tc.env, func(t *testing.T) {
			t.Setenv(RequireIntegrationEnv, tc.env)
			f := &outcomeTB{TB: t}
			func() {
				defer func() { recover() }()
				RequireIntegration(f, "chromium", "apt-get install chromium")
			}()
			if f.how != tc.want {
				t.Fatalf("outcome = %q, want %q", f.how, tc.want)
			}
			for _, part := range []string{"chromium", "apt-get install chromium", RequireIntegrationEnv} {
				if !strings.Contains(f.msg, part) {
					t.Errorf("message %q does not name %q", f.msg, part)
				}
			}
		})
	}
}

// TestBrowserWithoutChromium: with no browser, Browser skips locally and
// fails in CI, before starting anything.
func TestBrowserWithoutChromium(t *testing.T) {
	t.Setenv(ChromiumEnv, filepath.Join(t.TempDir(), "no-such-chromium"))
	for _, tc := range []struct{ env, want string }{{"", "skip"}, {"1", "fail"}} {
		t.Setenv(RequireIntegrationEnv, tc.env)
		f := &outcomeTB{TB: t}
		func() {
			defer func() { recover() }()
			Browser(f)
		}()
		if f.how != tc.want || !strings.Contains(f.msg, "apt-get install chromium") {
			t.Errorf("%s=%q: outcome %s %q, want %s naming apt-get install chromium", RequireIntegrationEnv, tc.env, f.how, f.msg, tc.want)
		}
	}
}
