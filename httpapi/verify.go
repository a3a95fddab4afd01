package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/reqauth"
)

// verify is forward auth (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth): identity only from the Authorization and Cookie headers;
// the forwarded method and URI only select a --verify-rule. No I/O.
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
	h := w.Header()
	h.Set("X-Auth-User-Id", p.UserID)
	h.Set("X-Auth-Username", p.Username)
	h.Set("X-Auth-Roles", strings.Join(p.Roles, ","))
	h.Set("X-Auth-Session-Id", p.SessionID)
	writeJSON(w, http.StatusOK, map[string]any{"user_id": p.UserID, "username": p.Username, "roles": nonNil(p.Roles), "session_id": p.SessionID})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
