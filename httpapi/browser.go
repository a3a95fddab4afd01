package httpapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/browser"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/token"
)

// Browser mode of the JSON API (API.md, Browser mode): cookie deliveries of
// login, resolve, refresh and reauth, cookie clearing at logout, and
// GET /v1/csrf. The cookie and CSRF rules themselves live in package
// browser, shared with the HTML pages.

// loginDelivery parses a login-like body's delivery field and, for the
// cookie deliveries, applies the login-CSRF rule.
func (s *Server) loginDelivery(r *http.Request, v string) (authn.Delivery, error) {
	d, err := delivery(v)
	if err != nil {
		return "", err
	}
	return d, s.loginCSRF(r, d)
}

// delivery parses the body's delivery field.
func delivery(v string) (authn.Delivery, error) {
	switch v {
	case "", "body", "bearer":
		return authn.DeliveryBearer, nil
	case "cookie":
		return authn.DeliveryCookie, nil
	case "jwt-cookie":
		return authn.DeliveryJWTCookie, nil
	}
	return "", errorf(http.StatusBadRequest, "invalid_request", "delivery: must be omitted, cookie or jwt-cookie")
}

// loginCSRF refuses a cookie-mode login from another site: otherwise a
// cross-site form could log the victim's browser into the attacker's
// account (login CSRF).
func (s *Server) loginCSRF(r *http.Request, d authn.Delivery) error {
	if d == authn.DeliveryBearer {
		return nil
	}
	return s.origins.SameSite(r, s.self(r))
}

// deviceCookie is the device id the browser holds, when the body names
// none. A malformed device cookie is ignored: it is not a credential.
func deviceCookie(r *http.Request, fromBody string) string {
	if fromBody != "" {
		return fromBody
	}
	v, present, err := credential.Cookie(r.Header, browser.DeviceCookie)
	if err != nil || !present {
		return ""
	}
	return v
}

// writeBrowserPair sets the cookies of a cookie-delivered pair and answers
// with what a page may see: ids and the CSRF token, never a token.
func (s *Server) writeBrowserPair(w http.ResponseWriter, d authn.Delivery, pair authn.TokenPair) {
	switch d {
	case authn.DeliveryCookie:
		s.cookies.SetSession(w, pair.CookieSecret, pair.Session.ExpiresAt.Sub(s.svc.Now()))
	case authn.DeliveryJWTCookie:
		s.cookies.SetTokens(w, pair.AccessToken, pair.RefreshToken, pair.RefreshExpiresIn)
	}
	s.cookies.SetDevice(w, pair.DeviceID)
	writeJSON(w, http.StatusOK, map[string]any{
		"session_id": pair.SessionID, "device_id": pair.DeviceID, "csrf_token": pair.CSRFToken,
		"expires_in": seconds(pair.ExpiresIn),
	})
}

// writePair answers a login-like request in its delivery.
func (s *Server) writePair(w http.ResponseWriter, d authn.Delivery, pair authn.TokenPair) {
	if d == authn.DeliveryBearer {
		writeJSON(w, http.StatusOK, viewPair(pair))
		return
	}
	s.writeBrowserPair(w, d, pair)
}

// cookieRefresh rotates the jwt-cookie mode's cookies: the refresh cookie is
// the credential, so the request must pass the CSRF rules of the session
// the refresh token names.
func (s *Server) cookieRefresh(w http.ResponseWriter, r *http.Request) error {
	rt, present, err := credential.Cookie(r.Header, browser.RefreshCookie)
	switch {
	case err != nil:
		return authn.ErrInvalidRefresh
	case !present:
		return errorf(http.StatusBadRequest, "invalid_request", "refresh_token: is required (in the body, or the gatehouse_rt cookie)")
	}
	want, ok := s.svc.RefreshCSRF(rt)
	if !ok {
		return authn.ErrInvalidRefresh
	}
	if err := s.csrf(r, want); err != nil {
		return err
	}
	pair, err := s.svc.Refresh(r.Context(), rt, s.client(r))
	if err != nil {
		return err
	}
	pair.CSRFToken = want
	s.writeBrowserPair(w, authn.DeliveryJWTCookie, pair)
	return nil
}

// csrfToken is GET /v1/csrf: the CSRF token of the cookie session that
// asks. Bearer clients need none. A jwt-cookie page whose access cookie has
// expired still gets its token (it needs it to refresh; the refresh cookie
// never reaches this path).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if errors.Is(err, token.ErrExpired) {
		if at, present, cerr := credential.Cookie(r.Header, browser.AccessCookie); cerr == nil && present && !hasBearer(r) {
			csrf, lerr := s.svc.AccessCookieCSRF(at)
			if lerr != nil {
				return lerr
			}
			writeJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
			return nil
		}
	}
	if err != nil {
		return err
	}
	if p.ByHeader() {
		return errorf(http.StatusBadRequest, "invalid_request", "CSRF tokens belong to cookie sessions; a bearer request needs none")
	}
	writeJSON(w, http.StatusOK, map[string]string{"csrf_token": p.CSRF})
	return nil
}

func hasBearer(r *http.Request) bool {
	_, present, _ := credential.Bearer(r.Header)
	return present
}

// viaDelivery is the delivery a principal's own credential came by, so a
// reauth answers in kind.
func viaDelivery(via string) authn.Delivery {
	switch via {
	case authn.ViaCookie:
		return authn.DeliveryCookie
	case authn.ViaJWTCookie:
		return authn.DeliveryJWTCookie
	}
	return authn.DeliveryBearer
}
