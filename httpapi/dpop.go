package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/credential"
	"github.com/gatehouse/gatehouse/dpop"
	"github.com/gatehouse/gatehouse/reqauth"
)

// DPoP at the token endpoints (login, resolve, reauth, refresh): a proof
// binds the pair to its key, and its errors are 400 (RFC 9449 §5), with the
// next server nonce when nonces are on. Resource endpoints check proofs in
// the shared auth path (reqauth) and answer 401 (errors.go's table).

// tokenProof checks the DPoP proof of a token request, if any, and returns
// its key's thumbprint ("" without a proof).
func (s *Server) tokenProof(r *http.Request) (string, error) {
	proofs := credential.DPoPProofs(r.Header)
	if len(proofs) == 0 {
		return "", nil
	}
	if s.svc.DPoPToken == nil {
		return "", errorf(http.StatusBadRequest, "invalid_dpop_proof", "DPoP is not enabled on this server")
	}
	own := reqauth.Own(s.svc, r)
	p, err := s.svc.DPoPToken.Check(r.Context(), dpop.Request{Method: own.Method, URL: own.URL, Header: proofs})
	if err != nil {
		return "", s.tokenProofError(err)
	}
	return p.JKT, nil
}

// tokenProofError turns a proof error at a token endpoint into its 400
// answer (use_dpop_nonce with the nonce to retry with); other errors (the
// replay cache could not be asked) are 503 and change nothing.
func (s *Server) tokenProofError(err error) error {
	switch dpop.Code(err) {
	case "":
		if errors.Is(err, authn.ErrUnavailable) {
			return err
		}
		return errors.Join(authn.ErrUnavailable, err)
	case "use_dpop_nonce":
		e := errorf(http.StatusBadRequest, "use_dpop_nonce", "retry with the server nonce of the DPoP-Nonce header in the proof")
		e.Err, e.Header = err, http.Header{"Dpop-Nonce": {s.svc.DPoPToken.Nonces().Current()}}
		return e
	default:
		e := errorf(http.StatusBadRequest, "invalid_dpop_proof", err.Error())
		e.Err = err
		return e
	}
}

// tokenAnswer adds the next server nonce to a successful token answer, so
// clients never pay an extra round trip after the first (RFC 9449 §8.2).
func (s *Server) tokenAnswer(w http.ResponseWriter) {
	if s.svc.DPoPToken != nil && s.svc.DPoPToken.Nonces() != nil {
		w.Header().Set("DPoP-Nonce", s.svc.DPoPToken.Nonces().Current())
	}
}

// tokenAuth is auth for reauth, which takes an access token and issues
// tokens: a DPoP-bound token's proof is checked as at the other token
// endpoints (the nonce, when on, and 400 for its errors).
func (s *Server) tokenAuth(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		t := reqauth.Own(s.svc, r)
		t.TokenEndpoint = true
		p, err := reqauth.AuthenticateFor(s.svc, r, s.cookies.SessionName(), t)
		if err != nil {
			if dpop.IsProofError(err) {
				return s.tokenProofError(err)
			}
			return err
		}
		if !p.ByHeader() {
			if err := s.csrf(r, p.CSRF); err != nil {
				return err
			}
		}
		return h(w, r.WithContext(withPrincipal(r, p)))
	}
}

// forwardedTarget is the request a forward-auth subrequest stands for: the
// method and URL the proxy says it forwards (X-Forwarded-Method/-Proto/
// -Host/-Uri, or X-Original-Method/-URI), each at most once; without them,
// the subrequest itself. Anyone may send these headers: the answer only
// tells a proxy whether to pass that request, and a proof is spent once.
func forwardedTarget(s *Server, r *http.Request) (reqauth.Target, error) {
	t := reqauth.Own(s.svc, r)
	method, err := oneOf(r, "X-Forwarded-Method", "X-Original-Method")
	if err != nil {
		return t, err
	}
	if method != "" {
		t.Method = method
	}
	uri, err := oneOf(r, "X-Forwarded-Uri", "X-Original-Uri")
	if err != nil || uri == "" {
		return t, err
	}
	path, _, _ := strings.Cut(uri, "?")
	path, _, _ = strings.Cut(path, "#")
	if !strings.HasPrefix(path, "/") {
		return t, errorf(http.StatusBadRequest, "invalid_request", "the forwarded URI is not an absolute path")
	}
	proto, host := "http", r.Host
	if r.TLS != nil {
		proto = "https"
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"X-Forwarded-Proto", &proto}, {"X-Forwarded-Host", &host}} {
		switch vs := r.Header.Values(f.name); {
		case len(vs) > 1 || (len(vs) == 1 && (vs[0] == "" || strings.ContainsAny(vs[0], ", "))):
			return t, errorf(http.StatusBadRequest, "invalid_request", "one "+f.name+" header with one value is expected")
		case len(vs) == 1:
			*f.dst = vs[0]
		}
	}
	t.URL = proto + "://" + host + path
	return t, nil
}
