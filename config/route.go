package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultRouteTimeout is how long the gateway waits for an upstream's
// response headers unless a route says otherwise (then 504).
const DefaultRouteTimeout = 30 * time.Second

// Route is one gateway route: requests under Prefix go to URL (Prefix
// replaced by URL's path, as nginx's proxy_pass does). --proxy PREFIX=URL
// gives a route with the defaults; the YAML file's `routes:` list sets the
// options too.
type Route struct {
	Prefix string `yaml:"prefix"`
	URL    string `yaml:"url"`
	// Roles, when set: the user needs one of them (else 403 forbidden).
	Roles []string `yaml:"roles"`
	// RedirectHTML sends a browser without a credential to /login (302)
	// instead of answering 401; default true.
	RedirectHTML *bool `yaml:"redirect_html"`
	// Timeout bounds the wait for the upstream's response headers (504);
	// default DefaultRouteTimeout. Streamed bodies and WebSockets are not
	// cut by it.
	Timeout time.Duration `yaml:"timeout"`
}

// Redirects reports whether HTML requests without a credential go to /login.
func (r Route) Redirects() bool { return r.RedirectHTML == nil || *r.RedirectHTML }

// GatewayRoutes is --proxy's routes followed by the YAML routes, with
// defaults filled in; a malformed one or a prefix given twice is an error.
func (c *Config) GatewayRoutes() ([]Route, error) {
	var out []Route
	for _, p := range c.Proxy {
		prefix, target, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not PREFIX=URL like /api/=http://127.0.0.1:9000/", p)
		}
		out = append(out, Route{Prefix: prefix, URL: target})
	}
	out = append(out, c.Routes...)
	seen := map[string]bool{}
	for i := range out {
		r := &out[i]
		u, err := url.Parse(r.URL)
		if !strings.HasPrefix(r.Prefix, "/") || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("route %q → %q: the prefix must start with / and the URL be http(s)://host[:port][/path]", r.Prefix, r.URL)
		}
		if seen[r.Prefix] {
			return nil, fmt.Errorf("route prefix %q is given twice", r.Prefix)
		}
		seen[r.Prefix] = true
		if r.Timeout < 0 {
			return nil, fmt.Errorf("route %q: timeout must not be negative", r.Prefix)
		}
		if r.Timeout == 0 {
			r.Timeout = DefaultRouteTimeout
		}
	}
	return out, nil
}

// VerifyRules parses --verify-rule [METHOD ]PATH_PREFIX=role,… into
// "[METHOD ]prefix" → roles.
func (c *Config) VerifyRules() (map[string][]string, error) {
	out := make(map[string][]string, len(c.VerifyRule))
	for _, kv := range c.VerifyRule {
		prefix, list, ok := strings.Cut(kv, "=")
		p := prefix
		if m, rest, hasMethod := strings.Cut(prefix, " "); hasMethod && m != "" && strings.ToUpper(m) == m {
			p = rest
		}
		if !ok || !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("%q is not PATH_PREFIX=role,… like /admin/=admin", kv)
		}
		var roles []string
		for _, r := range strings.Split(list, ",") {
			if r = strings.TrimSpace(r); r != "" {
				roles = append(roles, r)
			}
		}
		if len(roles) == 0 {
			return nil, fmt.Errorf("%q names no role", kv)
		}
		if _, dup := out[prefix]; dup {
			return nil, fmt.Errorf("prefix %q is given twice", prefix)
		}
		out[prefix] = roles
	}
	return out, nil
}
