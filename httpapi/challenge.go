package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
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
		Delivery  string `json:"delivery"`
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
	pair, err := s.svc.ResolveLogin(r.Context(), in.Challenge, in.End, d, jkt, s.client(r))
	if err != nil {
		return err
	}
	s.tokenAnswer(w)
	s.writePair(w, d, pair)
	return nil
}
