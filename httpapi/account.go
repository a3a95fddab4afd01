package httpapi

import (
	"github.com/gatehouse/gatehouse/authn"
	"net/http"
)

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.svc.DeleteAccount(r.Context(), p, s.client(r)); err != nil {
		return err
	}
	if p.Via != authn.ViaBearer {
		s.cookies.Clear(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
