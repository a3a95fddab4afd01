package app

import (
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestPolicyCarriesVerifyCacheSize: --verify-cache-size reaches the access
// verifier's policy (0 keeps the default cache, -1 turns it off).
func TestPolicyCarriesVerifyCacheSize(t *testing.T) {
	for _, size := range []int{0, -1, 1000} {
		c := config.Defaults()
		c.VerifyCacheSize = size
		if got := Policy(c).VerifyCacheSize; got != size {
			t.Errorf("VerifyCacheSize %d: policy has %d", size, got)
		}
	}
}
