package credential_test

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/credential"
)

func TestForm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want url.Values // nil: ErrMalformed
	}{
		{"empty body", "", url.Values{}},
		{"one parameter", "token=abc", url.Values{"token": {"abc"}}},
		{"two parameters", "token=abc&token_type_hint=refresh_token", url.Values{"token": {"abc"}, "token_type_hint": {"refresh_token"}}},
		{"escapes and plus", "token=a%2Bb+c", url.Values{"token": {"a+b c"}}},
		{"no value", "token", url.Values{"token": {""}}},
		{"repeated", "token=a&token=b", nil},
		{"repeated with the same value", "token=a&token=a", nil},
		{"repeated through an escape", "token=a&%74oken=b", nil},
		{"repeated empty", "token=&token=", nil},
		{"empty pair", "token=a&&x=b", nil},
		{"trailing &", "token=a&", nil},
		{"semicolon", "token=a;x=b", nil},
		{"bad escape", "token=%zz", nil},
		{"invalid UTF-8 after decoding", "token=%ff", nil},
		{"empty name", "=a", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := credential.Form(c.body)
			if c.want == nil {
				if !errors.Is(err, credential.ErrMalformed) {
					t.Fatalf("Form(%q) = %v, %v; want ErrMalformed", c.body, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Form(%q) = %v, %v; want %v", c.body, got, err, c.want)
			}
		})
	}
}

// FuzzForm: an accepted form has one value per name and means what
// url.ParseQuery reads from the same body.
func FuzzForm(f *testing.F) {
	for _, s := range []string{"token=a", "token=a&token=b", "a=%zz", "a=1&&b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := credential.Form(body)
		if err != nil {
			if !errors.Is(err, credential.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		std, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("accepted %q that url.ParseQuery refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, std) {
			t.Fatalf("Form(%q) = %v, url.ParseQuery = %v", body, got, std)
		}
		for k, vs := range got {
			if len(vs) != 1 {
				t.Fatalf("%q has %d values", k, len(vs))
			}
		}
	})
}
