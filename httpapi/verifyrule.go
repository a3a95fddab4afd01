package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
)

// verifyRule is one --verify-rule: the roles (any one of them) a user needs
// for forwarded URIs under prefix, for one method or all ("").
type verifyRule struct {
	method string
	prefix string
	roles  []string
}

// verifyRules are kept longest prefix first, and for one prefix the
// method-specific rule before the generic one, so the first match wins.
type verifyRules []verifyRule

// parseVerifyRules takes config.VerifyRules' map; a key may start with a
// method ("POST /admin/").
func parseVerifyRules(m map[string][]string) verifyRules {
	var out verifyRules
	for k, roles := range m {
		r := verifyRule{prefix: k, roles: roles}
		if m, p, ok := strings.Cut(k, " "); ok {
			r.method, r.prefix = strings.ToUpper(m), p
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].prefix) != len(out[j].prefix) {
			return len(out[i].prefix) > len(out[j].prefix)
		}
		return out[i].method > out[j].method
	})
	return out
}

// match is the rule for the request the proxy asks about, or nil.
func (rs verifyRules) match(method, p string) *verifyRule {
	for i := range rs {
		r := &rs[i]
		if (r.method == "" || r.method == method) && strings.HasPrefix(p, r.prefix) {
			return r
		}
	}
	return nil
}

// forwarded is the method and cleaned path of the request a proxy asks
// about: X-Forwarded-Method/-Uri (Traefik, Caddy) or X-Original-Method/-URI
// (nginx, set in its config). Each header may appear once; when both
// spellings are sent they must agree. The path is percent-decoded and
// cleaned (dot segments, repeated slashes) before matching, so
// /public/../admin/ is matched as /admin/. A URI without a path is "".
func forwarded(r *http.Request) (method, p string, err error) {
	method, err = oneOf(r, "X-Forwarded-Method", "X-Original-Method")
	if err != nil {
		return "", "", err
	}
	if method == "" {
		method = r.Method
	}
	uri, err := oneOf(r, "X-Forwarded-Uri", "X-Original-Uri")
	if err != nil || uri == "" {
		return strings.ToUpper(method), "", err
	}
	u, perr := url.ParseRequestURI(uri)
	if perr != nil || !strings.HasPrefix(u.Path, "/") {
		return "", "", errorf(http.StatusBadRequest, "invalid_request", "the forwarded URI is not an absolute path")
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	return strings.ToUpper(method), clean, nil
}

func oneOf(r *http.Request, a, b string) (string, error) {
	va, vb := r.Header.Values(a), r.Header.Values(b)
	if len(va) > 1 || len(vb) > 1 || (len(va) == 1 && len(vb) == 1 && va[0] != vb[0]) {
		return "", errorf(http.StatusBadRequest, "invalid_request", "conflicting "+a+"/"+b+" headers")
	}
	if len(va) == 1 {
		return va[0], nil
	}
	if len(vb) == 1 {
		return vb[0], nil
	}
	return "", nil
}

// allowed applies the rules to a principal's roles. With rules configured,
// a request that does not say which URI it is about is refused: a proxy
// that forgot to forward the URI must not open every rule's path.
func (rs verifyRules) allowed(r *http.Request, roles []string) error {
	if len(rs) == 0 {
		return nil
	}
	method, p, err := forwarded(r)
	if err != nil {
		return err
	}
	if p == "" {
		return errorf(http.StatusBadRequest, "invalid_request", "--verify-rule is set: the proxy must send X-Forwarded-Uri or X-Original-URI")
	}
	rule := rs.match(method, p)
	if rule == nil {
		return nil
	}
	for _, want := range rule.roles {
		if slices.Contains(roles, want) {
			return nil
		}
	}
	return errorf(http.StatusForbidden, "forbidden", "this path needs one of the roles "+strings.Join(rule.roles, ", "))
}
