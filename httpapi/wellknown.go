package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
