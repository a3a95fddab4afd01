package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/reqauth"
)

// verify is forward auth (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth): identity only from the Authorization and Cookie headers;
// the forwarded method and URI only select a --verify-rule. No I/O.
//
// The 200 is the X-Auth-* headers and an empty body: proxies read only the
// headers, and this answer is on the path of every request they pass, so it
// costs one allocation for the four values (none for the body).
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	t, err := forwardedTarget(s, r)
	if err != nil {
		return err
	}
	p, err := reqauth.AuthenticateFor(s.svc, r, s.cookies.SessionName(), t)
	if err != nil {
		return err
	}
	if err := s.verifyRules.allowed(r, p.Roles); err != nil {
		return err
	}
	setIdentity(w.Header(), p)
	w.WriteHeader(http.StatusOK)
	return nil
}

// setIdentity sets the X-Auth-* headers of a verified request (X-Auth-Roles
// present and empty for a user without roles). The four values share one
// backing array; each header's slice is capped at its length, so a later
// Add to one of them copies instead of overwriting its neighbour. The keys
// are already in canonical form, so they are assigned, not canonicalised.
func setIdentity(h http.Header, p *authn.Principal) {
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = p.UserID, p.Username, strings.Join(p.Roles, ","), p.SessionID
	h["X-Auth-User-Id"] = v[0:1:1]
	h["X-Auth-Username"] = v[1:2:2]
	h["X-Auth-Roles"] = v[2:3:3]
	h["X-Auth-Session-Id"] = v[3:4:4]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
