package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/token"
)

// Error is an HTTP error answer: status, API.md's stable code, a message.
type Error struct {
	Status int
	Code   string
	Msg    string
	Err    error
	Header http.Header
	Extra  map[string]any // more fields of the error body (session_limit)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Msg + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Msg
}
func (e *Error) Unwrap() error { return e.Err }

func errorf(status int, code, msg string) *Error { return &Error{Status: status, Code: code, Msg: msg} }

// Challenges of WWW-Authenticate (RFC 6750 §3.1). A request that sent no
// credential gets the bare scheme; a bad access token gets invalid_token; a
// valid token whose auth_time is too old gets RFC 9470's step-up error.
// Refresh-token and password failures are not bearer challenges: the
// client presented no access token there.
const (
	challengeNone    = ""
	challengeBearer  = `Bearer`
	challengeInvalid = `Bearer error="invalid_token"`
	challengeStepUp  = `Bearer error="insufficient_user_authentication"`
)

// challengeDPoP is the challenge of a refused DPoP proof at an endpoint
// that takes an access token (RFC 9449 §7.1).
var challengeDPoP = dpop.Challenge("invalid_dpop_proof")

// table maps use-case, credential and token errors to API.md's error table,
// in order, with the WWW-Authenticate challenge each one carries.
var table = []struct {
	err       error
	status    int
	code      string
	msg       string
	challenge string
}{
	{authn.ErrInvalidInput, 400, "invalid_request", "", challengeNone},
	{authn.ErrInvalidCredentials, 401, "invalid_credentials", "wrong username or password", challengeNone},
	{authn.ErrChallenge, 401, "invalid_credentials", "", challengeNone},
	{errNoCredential, 401, "invalid_token", "an access token is required", challengeBearer},
	{authn.ErrDPoPKey, 400, "invalid_dpop_proof", "", challengeNone},
	{dpop.ErrUseNonce, 400, "use_dpop_nonce", "", challengeNone},
	{dpop.ErrMissing, 401, "invalid_dpop_proof", "a DPoP-bound access token needs a DPoP proof", challengeDPoP},
	{dpop.ErrInvalid, 401, "invalid_dpop_proof", "", challengeDPoP},
	{dpop.ErrReplayed, 401, "invalid_dpop_proof", "", challengeDPoP},
	{dpop.ErrKeyMismatch, 401, "invalid_dpop_proof", "", challengeDPoP},
	{credential.ErrMalformed, 401, "invalid_token", "", challengeInvalid},
	{errWrongAdminToken, 401, "invalid_token", "the admin token is missing or wrong", challengeInvalid},
	{token.ErrExpired, 401, "token_expired", "the access token has expired", challengeInvalid},
	{token.ErrRevoked, 401, "token_revoked", "the access token's session has been revoked", challengeInvalid},
	{token.ErrInvalid, 401, "invalid_token", "the access token is missing or invalid", challengeInvalid},
	{authn.ErrInvalidRefresh, 401, "invalid_refresh_token", "the refresh token is unknown, expired or malformed", challengeNone},
	{authn.ErrReused, 401, "refresh_token_reused", "this refresh token was already used; the session has been revoked", challengeNone},
	{authn.ErrSessionExpired, 401, "session_expired", "the session has expired; log in again", challengeNone},
	{authn.ErrReauthRequired, 401, "reauth_required", "this action needs a recent login; POST /v1/reauth first", challengeStepUp},
	{authn.ErrForbidden, 403, "forbidden", "not allowed", challengeNone},
	{browser.ErrCSRF, 403, "csrf_failed", "a cookie-authenticated change needs the X-CSRF-Token header and a same-origin request", challengeNone},
	{authn.ErrNotFound, 404, "not_found", "no such resource", challengeNone},
	{authn.ErrUserExists, 409, "user_exists", "that username is taken", challengeNone},
	{authn.ErrSessionLimit, 409, "session_limit", "too many active sessions; end one first", challengeNone},
	{authn.ErrRateLimited, 429, "rate_limited", "too many attempts; try again later", challengeNone},
	{authn.ErrBusy, 503, "unavailable", "the server is busy; try again shortly", challengeNone},
	{authn.ErrUnavailable, 503, "unavailable", "a store is unavailable; nothing was changed", challengeNone},
}

// toError turns any error into the answer to send.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, row := range table {
		if !errors.Is(err, row.err) {
			continue
		}
		out := &Error{Status: row.status, Code: row.code, Msg: row.msg, Err: err}
		var in *authn.InputError
		if errors.As(err, &in) || row.msg == "" {
			out.Msg = err.Error()
		}
		var retry *authn.RetryError
		if errors.As(err, &retry) {
			out.Header = http.Header{"Retry-After": {strconv.Itoa(retrySeconds(retry.After))}}
		}
		var limit *authn.LimitError
		if errors.As(err, &limit) {
			out.Extra = limitBody(limit)
		}
		if row.challenge != challengeNone {
			out.Header = mergeHeader(out.Header, "WWW-Authenticate", row.challenge)
		}
		return out
	}
	return &Error{Status: 500, Code: "internal_error", Msg: "internal error", Err: err}
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

func mergeHeader(h http.Header, k, v string) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h.Set(k, v)
	return h
}

// writeError is the one place error answers are written.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	if e.Status >= 500 {
		level := slog.LevelWarn
		if e.Status == 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request failed", "request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e.Err)
	}
	body := map[string]any{"error": e.Code, "message": e.Msg}
	for k, v := range e.Extra {
		body[k] = v
	}
	writeJSON(w, e.Status, body)
}
