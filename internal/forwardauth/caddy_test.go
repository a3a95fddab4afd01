package forwardauth_test

import (
	"fmt"
	"path/filepath"
	"testing"
)

// caddyfile is docs/integrations.md's Caddyfile, on test addresses.
func caddyfile(port int, gatehouse, upstream string) string {
	return fmt.Sprintf(`{
	admin off
	auto_https off
}

http://127.0.0.1:%[1]d {
	handle /app/* {
		forward_auth %[2]s {
			uri /v1/verify
			copy_headers X-Auth-User-Id X-Auth-Username X-Auth-Roles X-Auth-Session-Id
		}
		reverse_proxy %[3]s
	}
	handle /web/* {
		forward_auth %[2]s {
			uri /v1/verify
			copy_headers X-Auth-User-Id X-Auth-Username X-Auth-Roles X-Auth-Session-Id
			@unauthenticated status 401
			handle_response @unauthenticated {
				redir * /login?return_to={uri} 302
			}
		}
		reverse_proxy %[3]s
	}
}
`, port, hostPort(gatehouse), hostPort(upstream))
}

// TestCaddyForwardAuth runs a real Caddy with forward_auth against
// Gatehouse's /v1/verify.
func TestCaddyForwardAuth(t *testing.T) {
	bin := need(t, "caddy")
	g := startGatehouse(t)
	up := newUpstream(t)
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "Caddyfile")
	writeFile(t, conf, caddyfile(port, g.url, up.URL))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	run(t, addr, env, bin, "run", "--config", conf, "--adapter", "caddyfile")
	scenario(t, "http://"+addr, g, up, true)
	dpopScenario(t, "http://"+addr, g, up)
}
