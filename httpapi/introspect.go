package httpapi

import (
	"net/http"
)

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
	out := map[string]any{
		"active": true, "sub": in.Subject, "sid": in.SessionID, "username": in.Username,
		"exp": in.ExpiresAt.Unix(), "iat": in.IssuedAt.Unix(), "token_type": in.TokenType,
		"roles": nonNil(in.Roles), "iss": s.opt.Issuer,
	}
	if in.JKT != "" {
		out["cnf"] = map[string]string{"jkt": in.JKT}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
