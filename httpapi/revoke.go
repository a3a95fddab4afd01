package httpapi

import (
	"net/http"
)

// revoke is RFC 7009: 200 for every well-formed request.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	tok, err := formToken(r)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), tok, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}
