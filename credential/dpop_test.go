package credential_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/credential"
)

func TestAccessToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		values  []string
		want    string
		scheme  credential.Scheme
		present bool
		bad     bool
	}{
		{name: "no header", values: nil},
		{name: "Bearer", values: []string{"Bearer " + jwt}, want: jwt, scheme: credential.SchemeBearer, present: true},
		{name: "DPoP", values: []string{"DPoP " + jwt}, want: jwt, scheme: credential.SchemeDPoP, present: true},
		{name: "dpop in lower case", values: []string{"dpop " + jwt}, want: jwt, scheme: credential.SchemeDPoP, present: true},
		{name: "DPoP with two spaces", values: []string{"DPoP  " + jwt}, want: jwt, scheme: credential.SchemeDPoP, present: true},
		{name: "DPoP empty token", values: []string{"DPoP "}, present: true, bad: true},
		{name: "DPoP with a tab", values: []string{"DPoP\t" + jwt}, present: true, bad: true},
		{name: "DPoP glued to the token", values: []string{"DPoP" + jwt}, present: true, bad: true},
		{name: "DPoP with trailing space", values: []string{"DPoP " + jwt + " "}, present: true, bad: true},
		{name: "DPoP with a comma", values: []string{"DPoP " + jwt + ",x"}, present: true, bad: true},
		{name: "two headers, DPoP and Bearer", values: []string{"DPoP " + jwt, "Bearer " + jwt}, present: true, bad: true},
		{name: "DPoPx scheme", values: []string{"DPoPx " + jwt}, present: true, bad: true},
		{name: "Basic", values: []string{"Basic Zm9vOmJhcg=="}, present: true, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.values {
				h.Add("Authorization", v)
			}
			tok, scheme, present, err := credential.AccessToken(h)
			if present != c.present || (err != nil) != c.bad {
				t.Fatalf("present %v err %v", present, err)
			}
			if c.bad {
				if !errors.Is(err, credential.ErrMalformed) {
					t.Fatalf("err %v is not ErrMalformed", err)
				}
				return
			}
			if tok != c.want || scheme != c.scheme {
				t.Fatalf("got %q scheme %d", tok, scheme)
			}
		})
	}
	h := http.Header{}
	h.Add("DPoP", "a")
	h.Add("DPoP", "b")
	if got := credential.DPoPProofs(h); len(got) != 2 {
		t.Fatalf("DPoPProofs = %q", got)
	}
}
