package forwardauth_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// traefikDynamic is docs/integrations.md's Traefik dynamic configuration,
// on test addresses: /app/ and /web/ behind the gatehouse ForwardAuth
// middleware.
func traefikDynamic(gatehouse, upstream string) string {
	return fmt.Sprintf(`http:
  middlewares:
    gatehouse:
      forwardAuth:
        address: %[1]s/v1/verify
        trustForwardHeader: false
        authResponseHeaders:
          - X-Auth-User-Id
          - X-Auth-Username
          - X-Auth-Roles
          - X-Auth-Session-Id
  routers:
    app:
      rule: PathPrefix(`+"`/app/`"+`) || PathPrefix(`+"`/web/`"+`)
      entryPoints: [web]
      middlewares: [gatehouse]
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: %[2]s
`, gatehouse, upstream)
}

// traefikBinary is $GATEHOUSE_TRAEFIK, else traefik in PATH, else "".
// Traefik is not a Debian package and takes long to build, so CI does not
// have it: without it the test skips, even under
// GATEHOUSE_REQUIRE_INTEGRATION=1 (docs/testing.md).
func traefikBinary() string {
	if p := os.Getenv("GATEHOUSE_TRAEFIK"); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
		return ""
	}
	p, _ := exec.LookPath("traefik")
	return p
}

// TestTraefikForwardAuth runs a real Traefik v3 with the ForwardAuth
// middleware against Gatehouse's /v1/verify. Traefik has no hook that turns
// the 401 into a redirect, so HTML requests without a credential get the
// 401 (the docs say so).
func TestTraefikForwardAuth(t *testing.T) {
	bin := traefikBinary()
	if bin == "" {
		t.Skip("no Traefik: set GATEHOUSE_TRAEFIK to a traefik v3 binary (go build github.com/traefik/traefik/v3/cmd/traefik; docs/testing.md)")
	}
	g := startGatehouse(t)
	up := newUpstream(t)
	dir := t.TempDir()
	dyn := filepath.Join(dir, "dynamic.yml")
	writeFile(t, dyn, traefikDynamic(g.url, up.URL))
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	run(t, addr, []string{"HOME=" + dir}, bin,
		"--entryPoints.web.address="+addr,
		"--providers.file.filename="+dyn,
		"--log.level=ERROR",
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false",
	)
	// The entry point listens before the file provider's routers are
	// loaded (404 until then): wait for the middleware to answer.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, _ := get(t, "http://"+addr+"/app/x")
		if res.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Traefik still answers %d for /app/x without a token after 15s", res.StatusCode)
		}
		time.Sleep(50 * time.Millisecond) // a real process loading its config
	}
	scenario(t, "http://"+addr, g, up, false)
}
