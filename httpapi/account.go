package httpapi

import (
	"net/http"
)

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteAccount(r.Context(), principal(r), s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
