package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/token"
)

var (
	// errNoSession: a signed-in page was asked for without a session
	// cookie (or with two of them); the answer is the login page.
	errNoSession = errors.New("web: no session cookie")
	// errBadForm: the body is not one strict urlencoded form.
	errBadForm = errors.New("web: malformed form")
	// errNotFound: no page here.
	errNotFound = errors.New("web: no such page")
	// errMethod: a page asked with a method it does not take.
	errMethod = errors.New("web: method not allowed")
	// errWritten: the answer is already (partly) written; nothing to add.
	errWritten = errors.New("web: answer already written")
)

// problems maps errors to the status and message of the page that answers
// them, in order (the first match wins).
var problems = []struct {
	err    error
	status int
	key    string
}{
	{browser.ErrCSRF, http.StatusForbidden, "error.csrf"},
	{errBadForm, http.StatusBadRequest, "error.form"},
	{errNotFound, http.StatusNotFound, "error.not_found"},
	{errMethod, http.StatusMethodNotAllowed, "error.method"},
	{authn.ErrInvalidInput, http.StatusBadRequest, "error.input"},
	{authn.ErrInvalidCredentials, http.StatusUnauthorized, "error.credentials"},
	{authn.ErrChallenge, http.StatusUnauthorized, "error.challenge"},
	{authn.ErrUserExists, http.StatusConflict, "error.user_exists"},
	{authn.ErrForbidden, http.StatusForbidden, "error.forbidden"},
	{authn.ErrNotFound, http.StatusNotFound, "error.not_found"},
	{authn.ErrRateLimited, http.StatusTooManyRequests, "error.rate_limited"},
	{authn.ErrBusy, http.StatusServiceUnavailable, "error.busy"},
	{authn.ErrUnavailable, http.StatusServiceUnavailable, "error.unavailable"},
}

// problem is the status and message key of err; the key is more precise
// for an input error naming a field the pages have words for. ok is false
// for an unexpected error (a 500).
func problem(t *text, err error) (status int, key string, ok bool) {
	for _, p := range problems {
		if errors.Is(err, p.err) {
			status, key = p.status, p.key
			break
		}
	}
	if key == "" {
		return http.StatusInternalServerError, "error.internal", false
	}
	var in *authn.InputError
	if errors.As(err, &in) && t.has("error.input."+in.Field) {
		key = "error.input." + in.Field
	}
	return status, key, true
}

// signedOut reports whether err means the request has no usable session,
// so the answer is the login page.
func signedOut(err error) bool {
	for _, e := range []error{errNoSession, credential.ErrMalformed, token.ErrInvalid, token.ErrRevoked, token.ErrExpired, authn.ErrSessionExpired} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retryAfter sets Retry-After for a rate-limited or busy answer.
func retryAfter(w http.ResponseWriter, err error) {
	var re *authn.RetryError
	if errors.As(err, &re) && re.After > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((re.After+time.Second-1)/time.Second)))
	}
}

// fail answers an error no handler answered itself: the login page for a
// missing or dead session, the password re-prompt for a step-up, else a
// message page (a logged 500 for the unexpected).
func (p *pages) fail(q *req, err error) {
	switch {
	case errors.Is(err, errWritten):
		return
	case signedOut(err):
		redirect(q.w, loginURL(q.r))
		return
	case errors.Is(err, authn.ErrReauthRequired):
		redirect(q.w, "/reauth?return_to=%2Faccount")
		return
	}
	status, key, ok := problem(q.text, err)
	if !ok {
		p.log.Error("page failed", "method", q.r.Method, "path", q.r.URL.Path, "err", err)
	}
	retryAfter(q.w, err)
	if rerr := p.render(q, status, pageMessage, view{Title: "error.title", Error: key}); rerr != nil && !errors.Is(rerr, errWritten) {
		p.log.Error("error page failed", "err", rerr)
		http.Error(q.w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}
