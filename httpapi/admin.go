package httpapi

import (
	"net/http"
)

func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.ForceLogout(r.Context(), r.PathValue("id"), s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) adminSessions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.UserSessions(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": s.viewSessions(list, "")})
	return nil
}

func (s *Server) adminRoles(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Roles *[]string `json:"roles"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if in.Roles == nil {
		return errorf(http.StatusBadRequest, "invalid_request", "roles: is required (an array of strings)")
	}
	u, err := s.svc.SetRoles(r.Context(), r.PathValue("id"), *in.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": viewUser(u)})
	return nil
}

func (s *Server) adminPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if err := s.svc.ResetPassword(r.Context(), r.PathValue("id"), in.Password, s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
