package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/dpop"
)

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	body := s.svc.Keys.Ring().JWKS()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.opt.JWKSMaxAge/time.Second)))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
	return nil
}

// openID is discovery metadata (OpenID Connect Discovery / RFC 8414) that
// advertises only what Gatehouse serves, so generic clients never try a
// flow it does not have: no authorization endpoint (so no response types),
// no ID tokens (so no id_token_* members), and no RFC 6749 token endpoint
// (POST /v1/token/refresh takes JSON, not a grant_type form), so no grant
// types. The empty arrays are explicit because RFC 8414 reads an absent
// grant_types_supported as ["authorization_code", "implicit"].
func (s *Server) openID(w http.ResponseWriter, r *http.Request) error {
	iss := strings.TrimRight(s.opt.Issuer, "/")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.opt.JWKSMaxAge/time.Second)))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	body := map[string]any{
		"issuer":                 s.opt.Issuer,
		"jwks_uri":               iss + "/.well-known/jwks.json",
		"introspection_endpoint": iss + "/v1/introspect",
		"revocation_endpoint":    iss + "/v1/revoke",
		"revocation_endpoint_auth_methods_supported": []string{"none"},
		"response_types_supported":                   []string{},
		"grant_types_supported":                      []string{},
		"claims_supported":                           []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "auth_time", "roles", "preferred_username"},
	}
	if s.svc.DPoP != nil { // RFC 9449 §5.1
		body["dpop_signing_alg_values_supported"] = dpop.Algs
		body["claims_supported"] = append(body["claims_supported"].([]string), "cnf")
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
