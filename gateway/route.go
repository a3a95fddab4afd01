package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// route is one --proxy / YAML route, ready to serve.
type route struct {
	prefix   string
	target   *url.URL
	roles    []string
	redirect bool
	timeout  time.Duration
	proxy    http.Handler
}

// routes are kept longest prefix first: the first match wins.
type routes []*route

func (rs routes) sort() {
	sort.SliceStable(rs, func(i, j int) bool { return len(rs[i].prefix) > len(rs[j].prefix) })
}

// match is the route serving path p, or nil.
func (rs routes) match(p string) *route {
	for _, r := range rs {
		if strings.HasPrefix(p, r.prefix) {
			return r
		}
	}
	return nil
}

// upstreamPath rewrites the request path as nginx's proxy_pass does: a
// target with a path replaces the matched prefix by that path
// (/api/=http://up/ sends /api/x to /x); a target without one ("http://up")
// gets the original path. It works on the escaped form when that still
// carries the prefix, so encoded characters reach the upstream unchanged.
func (r *route) upstreamPath(u *url.URL) (p, raw string) {
	if r.target.Path == "" && r.target.RawPath == "" {
		return u.Path, u.RawPath
	}
	rest := strings.TrimPrefix(u.Path, r.prefix)
	p = r.target.Path + rest
	if u.RawPath != "" {
		if esc := u.EscapedPath(); strings.HasPrefix(esc, r.prefix) {
			raw = r.target.EscapedPath() + strings.TrimPrefix(esc, r.prefix)
		}
	}
	return p, raw
}

// permits reports whether roles satisfy the route (any one of its roles).
func (r *route) permits(roles []string) bool {
	if len(r.roles) == 0 {
		return true
	}
	for _, want := range r.roles {
		if slices.Contains(roles, want) {
			return true
		}
	}
	return false
}

func newRoute(c config.Route) (*route, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	return &route{prefix: c.Prefix, target: u, roles: c.Roles, redirect: c.Redirects(), timeout: c.Timeout}, nil
}

// dotSegments reports a path that is not in its one clean spelling: "." or
// ".." segments would let /api/../other reach upstream paths outside the
// route's target path. Such requests are refused, not cleaned.
func dotSegments(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
