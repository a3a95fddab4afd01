package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/store"
)

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
