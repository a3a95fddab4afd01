package testenv

import (
	"os"
	"testing"
)

// RequireIntegrationEnv names the variable that turns a missing external
// program into a test failure. CI sets it to 1 (see .ci/run), so a feature
// whose tests would have skipped is never reported green untested.
const RequireIntegrationEnv = "GATEHOUSE_REQUIRE_INTEGRATION"

// RequireIntegration is what a test calls when what (a program or service it
// needs, such as "chromium") is not available: it skips the test with a
// message saying how to get it, or fails the test when
// GATEHOUSE_REQUIRE_INTEGRATION=1. how is an imperative hint such as
// "install it with `apt-get install chromium`".
func RequireIntegration(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv(RequireIntegrationEnv) == "1" {
		t.Fatalf("%s is not available and %s=1 forbids skipping: %s", what, RequireIntegrationEnv, how)
	}
	t.Skipf("%s is not available: %s (with %s=1 this skip is a failure, as in CI)", what, how, RequireIntegrationEnv)
}
