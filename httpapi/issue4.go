package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/store"
)

// limitBody is what a 409 session_limit adds to the error: the live
// sessions and a one-time challenge for POST /v1/login/resolve.
func limitBody(e *authn.LimitError) map[string]any {
	out := make([]map[string]any, 0, len(e.Sessions))
	for _, x := range e.Sessions {
		out = append(out, map[string]any{
			"id": x.ID, "device_id": x.DeviceID, "created_at": rfc3339(x.CreatedAt),
			"last_seen_at": rfc3339(x.LastSeenAt), "ip": x.IP, "user_agent": x.UserAgent,
		})
	}
	return map[string]any{"sessions": out, "login_challenge": e.Challenge, "login_challenge_expires_in": seconds(e.ExpiresIn)}
}

func (s *Server) resolveLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Challenge string `json:"login_challenge"`
		End       string `json:"end_session_id"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	pair, err := s.svc.ResolveLogin(r.Context(), in.Challenge, in.End, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewPair(pair))
	return nil
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteAccount(r.Context(), principal(r), s.client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type eventView struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	SessionID string            `json:"session_id,omitempty"`
	CreatedAt string            `json:"created_at"`
	IP        string            `json:"ip"`
	UserAgent string            `json:"user_agent"`
	Detail    map[string]string `json:"detail"`
}

func (s *Server) writeEvents(w http.ResponseWriter, r *http.Request, userID string, admin bool) error {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			return errorf(http.StatusBadRequest, "invalid_request", "limit: must be 1 to 999")
		}
		limit = n
	}
	get := s.svc.UserEvents
	if admin {
		get = s.svc.AdminUserEvents
	}
	page, err := get(r.Context(), userID, q.Get("before"), limit)
	if err != nil {
		return err
	}
	out := make([]eventView, 0, len(page.Events))
	for _, e := range page.Events {
		out = append(out, viewEvent(e))
	}
	body := map[string]any{"events": out}
	if page.Next != "" {
		body["next"] = page.Next
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func viewEvent(e store.Event) eventView {
	d := e.Detail
	if d == nil {
		d = map[string]string{}
	}
	return eventView{ID: e.ID, Type: e.Type, SessionID: e.SessionID, CreatedAt: rfc3339(e.CreatedAt), IP: e.IP, UserAgent: e.UserAgent, Detail: d}
}

func (s *Server) myEvents(w http.ResponseWriter, r *http.Request) error {
	return s.writeEvents(w, r, principal(r).UserID, false)
}

func (s *Server) adminEvents(w http.ResponseWriter, r *http.Request) error {
	return s.writeEvents(w, r, r.PathValue("id"), true)
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
