package httpapi

import (
	"net/http"
)

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.svc.DeleteAccount(r.Context(), p, s.client(r)); err != nil {
		return err
	}
	if !p.ByHeader() {
		s.cookies.Clear(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
