package gateway

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/reqauth"
	"github.com/gatehouse/gatehouse/token"
)

// Errors of the gateway itself, beside the credential errors it shares
// with the API.
var (
	// ErrNoCredential: no bearer token and no Gatehouse cookie.
	ErrNoCredential = reqauth.ErrNoCredential
	// ErrForbidden: the user has none of the route's roles.
	ErrForbidden = errors.New("gateway: the route needs another role")
	// ErrBadPath: a path with "." or ".." segments.
	ErrBadPath = errors.New("gateway: path with dot segments")
	// ErrBadGateway: the upstream could not be reached or broke off.
	ErrBadGateway = errors.New("gateway: upstream unreachable")
	// ErrGatewayTimeout: the upstream did not answer within the route's
	// timeout.
	ErrGatewayTimeout = errors.New("gateway: upstream timed out")
)

// table maps errors to API.md's codes, as the API's own table does for the
// same credential errors; 502 bad_gateway and 504 gateway_timeout are the
// gateway's own (docs/gateway.md).
var table = []struct {
	err       error
	status    int
	code, msg string
	challenge string
}{
	{ErrNoCredential, 401, "invalid_token", "a session cookie or access token is required", `Bearer`},
	// DPoP (RFC 9449): the gateway checks the proof of a bound token
	// itself, as a resource server would, before anything is forwarded.
	{dpop.ErrMissing, 401, "invalid_dpop_proof", "a DPoP-bound access token needs a DPoP proof", dpop.Challenge("invalid_dpop_proof")},
	{dpop.ErrInvalid, 401, "invalid_dpop_proof", "the DPoP proof is malformed or does not match the request or the token", dpop.Challenge("invalid_dpop_proof")},
	{dpop.ErrReplayed, 401, "invalid_dpop_proof", "the DPoP proof was used before", dpop.Challenge("invalid_dpop_proof")},
	{dpop.ErrKeyMismatch, 401, "invalid_dpop_proof", "the DPoP proof is not signed by the token's key", dpop.Challenge("invalid_dpop_proof")},
	{dpop.ErrUseNonce, 401, "use_dpop_nonce", "retry with the nonce of the DPoP-Nonce header", dpop.Challenge("use_dpop_nonce")},
	{dpop.ErrReplayFull, 503, "unavailable", "too many DPoP proofs to remember right now; try again shortly", ""},
	{credential.ErrMalformed, 401, "invalid_token", "the credential is malformed", `Bearer error="invalid_token"`},
	{token.ErrExpired, 401, "token_expired", "the access token has expired", `Bearer error="invalid_token"`},
	{token.ErrRevoked, 401, "token_revoked", "the session has been revoked", `Bearer error="invalid_token"`},
	{token.ErrInvalid, 401, "invalid_token", "the credential is invalid", `Bearer error="invalid_token"`},
	{authn.ErrSessionExpired, 401, "session_expired", "the session has expired; log in again", ""},
	{ErrForbidden, 403, "forbidden", "this route needs a role you do not have", ""},
	{browser.ErrCSRF, 403, "csrf_failed", "a cookie-authenticated change needs the X-CSRF-Token header and a same-origin request", ""},
	{ErrBadPath, 400, "invalid_request", "the path has . or .. segments", ""},
	{authn.ErrUnavailable, 503, "unavailable", "a store is unavailable; try again shortly", ""},
	{ErrBadGateway, 502, "bad_gateway", "the upstream server could not be reached", ""},
	{ErrGatewayTimeout, 504, "gateway_timeout", "the upstream server did not answer in time", ""},
}

// unauthenticated reports whether err means "log in" (401), so an HTML
// request may be sent to the login page instead.
func unauthenticated(err error) bool { return status(err) == http.StatusUnauthorized }

func status(err error) int {
	for _, row := range table {
		if errors.Is(err, row.err) {
			return row.status
		}
	}
	return http.StatusInternalServerError
}

// writeError is the one place the gateway writes an error answer.
func writeError(w http.ResponseWriter, err error) {
	st, code, msg := http.StatusInternalServerError, "internal_error", "internal error"
	for _, row := range table {
		if errors.Is(err, row.err) {
			st, code, msg = row.status, row.code, row.msg
			if row.challenge != "" {
				w.Header().Set("WWW-Authenticate", row.challenge)
			}
			break
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(st)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
}
