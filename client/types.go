package client

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// TokenPair is a login's answer (API.md's TokenPair); TokenType is
// "Bearer", or "DPoP" for a pair bound to the client's DPoP key.
type TokenPair struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	SessionID        string `json:"session_id"`
	DeviceID         string `json:"device_id"`
}

// tokens is what a client keeps of the pair. key is the DPoP key the
// request that obtained it was proved with: kept when the server bound the
// pair to it (token_type DPoP), dropped when it answered a bearer pair.
func (p *TokenPair) tokens(key string) Tokens {
	if !strings.EqualFold(p.TokenType, "DPoP") {
		key = ""
	}
	return Tokens{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, SessionID: p.SessionID, DeviceID: p.DeviceID, DPoPKey: key}
}

// User is an account.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is one live session (a device's login).
type Session struct {
	ID         string    `json:"id"`
	DeviceID   string    `json:"device_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// Me is GET /v1/me's answer.
type Me struct {
	User    User    `json:"user"`
	Session Session `json:"session"`
}

// SessionPage is one page of GET /v1/sessions; Next, when set, is the
// After of the following page.
type SessionPage struct {
	Sessions []Session `json:"sessions"`
	Next     string    `json:"next"`
}

// Page selects a page of a listing: at most Limit items (0: the server's
// default) after the cursor (a previous page's Next).
type Page struct {
	Limit  int
	Cursor string
}

// Event is one entry of an audit trail.
type Event struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	SessionID string            `json:"session_id"`
	CreatedAt time.Time         `json:"created_at"`
	IP        string            `json:"ip"`
	UserAgent string            `json:"user_agent"`
	Detail    map[string]string `json:"detail"`
}

// EventPage is one page of an audit trail, newest first.
type EventPage struct {
	Events []Event `json:"events"`
	Next   string  `json:"next"`
}

// Identity is GET /v1/verify's answer: whom the access token belongs to,
// read from the X-Auth-* headers of the 200 (which has no body).
type Identity struct {
	UserID    string   `json:"user_id"`
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	SessionID string   `json:"session_id"`
}

func (id *Identity) fromHeader(h http.Header) error {
	id.UserID, id.Username, id.SessionID = h.Get("X-Auth-User-Id"), h.Get("X-Auth-Username"), h.Get("X-Auth-Session-Id")
	if id.UserID == "" || id.SessionID == "" {
		return errors.New("gatehouse client: GET /v1/verify answered 200 without X-Auth-User-Id and X-Auth-Session-Id")
	}
	id.Roles = []string{}
	if r := h.Get("X-Auth-Roles"); r != "" {
		id.Roles = strings.Split(r, ",")
	}
	return nil
}

// Introspection is RFC 7662's answer; only Active is set for a dead token.
type Introspection struct {
	Active    bool     `json:"active"`
	Subject   string   `json:"sub"`
	SessionID string   `json:"sid"`
	Username  string   `json:"username"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	TokenType string   `json:"token_type"`
	Roles     []string `json:"roles"`
	Issuer    string   `json:"iss"`
}

// JWK is one public key of the key set.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS is GET /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// Scope is a logout's reach.
type Scope string

// Logout scopes (API.md): this session, every other one, all of them.
const (
	ScopeLocal  Scope = "local"
	ScopeOthers Scope = "others"
	ScopeGlobal Scope = "global"
)
