package httpapi

import (
	"net/http"
	"net/url"
)

// query reads the named URL query parameters with one spelling each: a
// malformed query string or a repeated parameter is 400. Parameters not
// named are ignored (proxies and cache busters add their own).
func query(r *http.Request, names ...string) (map[string]string, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "malformed query string")
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		switch vs := v[n]; len(vs) {
		case 0:
		case 1:
			out[n] = vs[0]
		default:
			return nil, errorf(http.StatusBadRequest, "invalid_request", "query parameter "+n+" is repeated")
		}
	}
	return out, nil
}
