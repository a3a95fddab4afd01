package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verify is forward auth (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth): identity only from the Authorization header. No I/O.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("X-Auth-User-Id", p.UserID)
	h.Set("X-Auth-Username", p.Username)
	h.Set("X-Auth-Roles", strings.Join(p.Roles, ","))
	h.Set("X-Auth-Session-Id", p.SessionID)
	writeJSON(w, http.StatusOK, map[string]any{"user_id": p.UserID, "username": p.Username, "roles": nonNil(p.Roles), "session_id": p.SessionID})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func formToken(r *http.Request) (string, error) {
	form, err := decodeForm(r)
	if err != nil {
		return "", err
	}
	tok := form.Get("token")
	if tok == "" {
		return "", errorf(http.StatusBadRequest, "invalid_request", "token: is required")
	}
	return tok, nil
}

// introspect is RFC 7662; exp and iat are NumericDate integers.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) error {
	tok, err := formToken(r)
	if err != nil {
		return err
	}
	in, err := s.svc.Introspect(r.Context(), tok)
	if err != nil {
		return err
	}
	if !in.Active {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active": true, "sub": in.Subject, "sid": in.SessionID, "username": in.Username,
		"exp": in.ExpiresAt.Unix(), "iat": in.IssuedAt.Unix(), "token_type": in.TokenType,
		"roles": nonNil(in.Roles), "iss": s.opt.Issuer,
	})
	return nil
}

// revoke is RFC 7009: 200 for every well-formed request.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	tok, err := formToken(r)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), tok, s.client(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	body := s.svc.Keys.Ring().JWKS()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.opt.JWKSMaxAge/time.Second)))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
	return nil
}

func (s *Server) openID(w http.ResponseWriter, r *http.Request) error {
	iss := strings.TrimRight(s.opt.Issuer, "/")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.opt.JWKSMaxAge/time.Second)))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.opt.Issuer,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"token_endpoint":                        iss + "/v1/token/refresh",
		"introspection_endpoint":                iss + "/v1/introspect",
		"revocation_endpoint":                   iss + "/v1/revoke",
		"id_token_signing_alg_values_supported": []string{s.opt.SigningAlg},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"grant_types_supported":                 []string{"password", "refresh_token"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "auth_time", "roles", "preferred_username"},
	})
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opt.Store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return errorf(http.StatusServiceUnavailable, "unavailable", "the store does not answer")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
