package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadYAML(t *testing.T, body string, args ...string) (Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load("serve", append([]string{"--config", p}, args...), nil, io.Discard, nil)
	return c, err
}

// TestGatewayRoutes: --proxy routes get the defaults, YAML routes their
// options; a bad or duplicate route is refused with the rest.
func TestGatewayRoutes(t *testing.T) {
	t.Parallel()
	c, err := loadYAML(t, `
routes:
  - prefix: /admin/
    url: http://127.0.0.1:9001/admin/
    roles: [admin, ops]
    redirect_html: false
    timeout: 5s
`, "--proxy", "/api/=http://127.0.0.1:9000/")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.GatewayRoutes()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Prefix != "/api/" || !rs[0].Redirects() || rs[0].Timeout != DefaultRouteTimeout {
		t.Fatalf("flag route %+v", rs)
	}
	if r := rs[1]; r.Prefix != "/admin/" || r.Redirects() || r.Timeout != 5*time.Second || strings.Join(r.Roles, ",") != "admin,ops" {
		t.Fatalf("YAML route %+v", r)
	}
	for name, body := range map[string]string{
		"unknown option":   "routes:\n  - prefix: /a/\n    url: http://x/\n    role: admin\n",
		"no scheme":        "routes:\n  - prefix: /a/\n    url: x:9000\n",
		"relative prefix":  "routes:\n  - prefix: a/\n    url: http://x/\n",
		"twice":            "proxy: [/a/=http://x/]\nroutes:\n  - prefix: /a/\n    url: http://y/\n",
		"negative timeout": "routes:\n  - prefix: /a/\n    url: http://x/\n    timeout: -1s\n",
		"not a list":       "routes: /a/=http://x/\n",
	} {
		if _, err := loadYAML(t, body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestVerifyRuleKeepsCommas: one --verify-rule value lists several roles.
func TestVerifyRuleKeepsCommas(t *testing.T) {
	t.Parallel()
	c, _, err := Load("serve", []string{"--verify-rule", "/admin/=admin,ops", "--verify-rule", "DELETE /docs/=admin"}, nil, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.VerifyRules()
	if err != nil || strings.Join(m["/admin/"], ",") != "admin,ops" || len(m["DELETE /docs/"]) != 1 {
		t.Fatalf("%v %v", m, err)
	}
}
