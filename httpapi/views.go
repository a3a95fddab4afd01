package httpapi

import (
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/store"
)

type userView struct {
	ID        string   `json:"id"`
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	CreatedAt string   `json:"created_at"`
}

type sessionView struct {
	ID         string `json:"id"`
	DeviceID   string `json:"device_id"`
	CreatedAt  string `json:"created_at"`
	LastSeenAt string `json:"last_seen_at"`
	ExpiresAt  string `json:"expires_at"`
	IP         string `json:"ip"`
	UserAgent  string `json:"user_agent"`
	Current    bool   `json:"current"`
}

type pairView struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	SessionID        string `json:"session_id"`
	DeviceID         string `json:"device_id"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func viewUser(u store.User) userView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userView{ID: u.ID, Username: u.Username, Roles: roles, CreatedAt: rfc3339(u.CreatedAt)}
}

func (s *Server) viewSessions(list []store.Session, current string) []sessionView {
	out := make([]sessionView, 0, len(list))
	for _, x := range list {
		out = append(out, s.viewSession(x, current))
	}
	return out
}

func (s *Server) viewSession(x store.Session, current string) sessionView {
	return sessionView{
		ID: x.ID, DeviceID: x.DeviceID, CreatedAt: rfc3339(x.CreatedAt), LastSeenAt: rfc3339(x.LastSeenAt),
		ExpiresAt: rfc3339(x.EffectiveExpiry(s.svc.Policy.IdleTimeout)), IP: x.IP, UserAgent: x.UserAgent,
		Current: x.ID == current,
	}
}

func viewPair(p authn.TokenPair) pairView {
	return pairView{
		AccessToken: p.AccessToken, TokenType: tokenType(p), ExpiresIn: seconds(p.ExpiresIn),
		RefreshToken: p.RefreshToken, RefreshExpiresIn: seconds(p.RefreshExpiresIn),
		SessionID: p.SessionID, DeviceID: p.DeviceID,
	}
}

// tokenType is "DPoP" for a pair bound to a key (RFC 9449 §5), else
// "Bearer".
func tokenType(p authn.TokenPair) string {
	if p.JKT != "" {
		return "DPoP"
	}
	return "Bearer"
}

func seconds(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}
