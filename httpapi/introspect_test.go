package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func (e *env) form(path, bearer string, v url.Values) resp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return e.roundTrip(req)
}

func TestIntrospectAndRevoke(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	uid, p := e.user("abel")
	expect(t, e.form("/v1/introspect", "", url.Values{"token": {p.Access}}), 401, "invalid_token")
	expect(t, e.form("/v1/introspect", p.Access, url.Values{"token": {p.Access}}), 403, "forbidden")
	r := e.form("/v1/introspect", adminToken, url.Values{"token": {p.Access}})
	expect(t, r, 200, "")
	var in map[string]any
	json.Unmarshal(r.body, &in)
	if in["active"] != true || in["sub"] != uid || in["sid"] != p.Session || in["username"] != "abel" {
		t.Fatalf("introspect %s", r.body)
	}
	if _, ok := in["exp"].(float64); !ok {
		t.Fatalf("exp not a NumericDate: %s", r.body)
	}
	r = e.form("/v1/introspect", adminToken, url.Values{"token": {p.Refresh}})
	if !strings.Contains(string(r.body), `"active":true`) {
		t.Fatalf("refresh introspect %s", r.body)
	}
	r = e.form("/v1/introspect", adminToken, url.Values{"token": {"garbage"}})
	if string(r.body) != "{\"active\":false}\n" {
		t.Fatalf("inactive %s", r.body)
	}
	expect(t, e.form("/v1/introspect", adminToken, url.Values{}), 400, "invalid_request")

	expect(t, e.form("/v1/revoke", "", url.Values{"token": {"garbage"}}), 200, "")
	expect(t, e.form("/v1/revoke", "", url.Values{}), 400, "invalid_request")
	expect(t, e.form("/v1/revoke", "", url.Values{"token": {p.Refresh}}), 200, "")
	expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
	expect(t, e.refresh(p.Refresh), 401, "invalid_refresh_token")
	q := e.login("abel", "correct horse battery")
	expect(t, e.form("/v1/revoke", "", url.Values{"token": {q.Access}}), 200, "")
	expect(t, e.refresh(q.Refresh), 401, "invalid_refresh_token")
}
