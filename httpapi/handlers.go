package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/authn"
)

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	u, err := s.svc.Signup(r.Context(), in.Username, in.Password, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": viewUser(u)})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		DeviceID string `json:"device_id"`
		Delivery string `json:"delivery"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	d, err := s.loginDelivery(r, in.Delivery)
	if err != nil {
		return err
	}
	jkt, err := s.tokenProof(r)
	if err != nil {
		return err
	}
	device := in.DeviceID
	if d != authn.DeliveryBearer {
		device = deviceCookie(r, in.DeviceID)
	}
	pair, err := s.svc.Login(r.Context(), authn.LoginInput{
		Username: in.Username, Password: in.Password, DeviceID: device, Client: s.client(r), Delivery: d, JKT: jkt,
	})
	if err != nil {
		return err
	}
	s.tokenAnswer(w)
	s.writePair(w, d, pair)
	return nil
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		RefreshToken *string `json:"refresh_token"`
	}
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	jkt, err := s.tokenProof(r)
	if err != nil {
		return err
	}
	if in.RefreshToken == nil {
		if jkt != "" {
			return authn.ErrDPoPCookie
		}
		return s.cookieRefresh(w, r)
	}
	pair, err := s.svc.RefreshBound(r.Context(), *in.RefreshToken, jkt, s.client(r))
	if err != nil {
		return err
	}
	s.tokenAnswer(w)
	writeJSON(w, http.StatusOK, viewPair(pair))
	return nil
}

func (s *Server) reauth(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	p := principal(r)
	pair, err := s.svc.Reauth(r.Context(), p, in.Password, s.client(r))
	if err != nil {
		return err
	}
	s.tokenAnswer(w)
	s.writePair(w, viaDelivery(p.Via), pair)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(r.Context(), principal(r), in.Current, in.New, s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	u, sess, err := s.svc.Me(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": viewUser(u), "session": s.viewSession(sess, p.SessionID)})
	return nil
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	q, err := query(r, "limit", "after")
	if err != nil {
		return err
	}
	limit := 0
	if v := q["limit"]; v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return errorf(http.StatusBadRequest, "invalid_request", "limit must be a whole number from 1 to "+strconv.Itoa(authn.MaxSessionPage))
		}
	}
	page, err := s.svc.SessionsPage(r.Context(), p.UserID, q["after"], limit)
	if err != nil {
		return err
	}
	out := map[string]any{"sessions": s.viewSessions(page.Sessions, p.SessionID)}
	if page.Next != "" {
		out["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if id == "" || len(id) > 128 {
		return errorf(http.StatusNotFound, "not_found", "no such session")
	}
	if err := s.svc.EndSession(r.Context(), principal(r), id, s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Scope string `json:"scope"`
	}
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	p := principal(r)
	if err := s.svc.Logout(r.Context(), p, authn.Scope(in.Scope), s.client(r)); err != nil {
		return err
	}
	if !p.ByHeader() && (in.Scope == "" || in.Scope == string(authn.ScopeLocal) || in.Scope == string(authn.ScopeGlobal)) {
		s.cookies.Clear(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
