package credential_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/credential"
)

const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"

func TestBearer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", credential.MaxLength)
	cases := []struct {
		name    string
		values  []string // Authorization header fields; nil: none
		want    string
		present bool
		bad     bool
	}{
		{name: "no header is anonymous", values: nil},
		{name: "canonical", values: []string{"Bearer " + jwt}, want: jwt, present: true},
		{name: "scheme in lower case", values: []string{"bearer " + jwt}, want: jwt, present: true},
		{name: "scheme in upper case", values: []string{"BEARER " + jwt}, want: jwt, present: true},
		{name: "two spaces are allowed", values: []string{"Bearer  " + jwt}, want: jwt, present: true},
		{name: "b64token with padding", values: []string{"Bearer ab+/~-._9=="}, want: "ab+/~-._9==", present: true},
		{name: "token of MaxLength", values: []string{"Bearer " + long}, want: long, present: true},
		{name: "two headers", values: []string{"Bearer " + jwt, "Bearer other"}, present: true, bad: true},
		{name: "two identical headers", values: []string{"Bearer " + jwt, "Bearer " + jwt}, present: true, bad: true},
		{name: "empty header", values: []string{""}, present: true, bad: true},
		{name: "tab after scheme", values: []string{"Bearer\t" + jwt}, present: true, bad: true},
		{name: "no separator", values: []string{"Bearer" + jwt}, present: true, bad: true},
		{name: "scheme only", values: []string{"Bearer"}, present: true, bad: true},
		{name: "empty token", values: []string{"Bearer "}, present: true, bad: true},
		{name: "spaces only", values: []string{"Bearer    "}, present: true, bad: true},
		{name: "Basic", values: []string{"Basic Zm9vOmJhcg=="}, present: true, bad: true},
		{name: "DPoP is not Bearer", values: []string{"DPoP " + jwt}, present: true, bad: true},
		{name: "token alone", values: []string{jwt}, present: true, bad: true},
		{name: "leading space", values: []string{" Bearer " + jwt}, present: true, bad: true},
		{name: "trailing space", values: []string{"Bearer " + jwt + " "}, present: true, bad: true},
		{name: "trailing tab", values: []string{"Bearer " + jwt + "\t"}, present: true, bad: true},
		{name: "trailing CR", values: []string{"Bearer " + jwt + "\r"}, present: true, bad: true},
		{name: "leading NBSP", values: []string{"Bearer \u00a0" + jwt}, present: true, bad: true},
		{name: "trailing NBSP", values: []string{"Bearer " + jwt + "\u00a0"}, present: true, bad: true},
		{name: "NBSP as separator", values: []string{"Bearer\u00a0" + jwt}, present: true, bad: true},
		{name: "trailing NEL", values: []string{"Bearer " + jwt + "\u0085"}, present: true, bad: true},
		{name: "trailing LINE SEPARATOR", values: []string{"Bearer " + jwt + "\u2028"}, present: true, bad: true},
		{name: "leading IDEOGRAPHIC SPACE", values: []string{"Bearer \u3000" + jwt}, present: true, bad: true},
		{name: "ideographic space as separator", values: []string{"Bearer\u3000" + jwt}, present: true, bad: true},
		{name: "= in the middle", values: []string{"Bearer abc=def"}, present: true, bad: true},
		{name: "= only", values: []string{"Bearer ==="}, present: true, bad: true},
		{name: "space inside the token", values: []string{"Bearer abc def"}, present: true, bad: true},
		{name: "comma-joined second credential", values: []string{"Bearer abc, Bearer def"}, present: true, bad: true},
		{name: "quoted token", values: []string{`Bearer "abc"`}, present: true, bad: true},
		{name: "NUL", values: []string{"Bearer abc\x00"}, present: true, bad: true},
		{name: "non-ASCII letter", values: []string{"Bearer abcé"}, present: true, bad: true},
		{name: "Kelvin sign is no k", values: []string{"Bearer \u212a"}, present: true, bad: true},
		{name: "scheme with a non-ASCII look-alike", values: []string{"Bеarer " + jwt}, present: true, bad: true}, // Cyrillic е
		{name: "very long header", values: []string{"Bearer " + long + "A"}, present: true, bad: true},
		{name: "huge header", values: []string{"Bearer " + strings.Repeat("A", 1<<20)}, present: true, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for _, v := range c.values {
				h.Add("Authorization", v)
			}
			tok, present, err := credential.Bearer(h)
			if present != c.present {
				t.Fatalf("present = %v, want %v", present, c.present)
			}
			if c.bad {
				if !errors.Is(err, credential.ErrMalformed) || tok != "" {
					t.Fatalf("Bearer = %q, %v; want ErrMalformed", tok, err)
				}
				return
			}
			if err != nil || tok != c.want {
				t.Fatalf("Bearer = %q, %v; want %q", tok, err, c.want)
			}
		})
	}
}

// FuzzBearer: whatever the header, an accepted token is a b64token that,
// put back after its scheme and spaces, gives the header exactly.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer " + jwt, "bearer  a", "Bearer \u00a0a", "Bearer\ta", "Basic x", "Bearer a=b", "Bearer a==", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, present, err := credential.Bearer(http.Header{"Authorization": {v}})
		if !present {
			t.Fatal("a header was sent but present is false")
		}
		if err != nil {
			if !errors.Is(err, credential.ErrMalformed) || tok != "" {
				t.Fatalf("error %v with token %q", err, tok)
			}
			return
		}
		if tok == "" || len(tok) > credential.MaxLength {
			t.Fatalf("accepted token of length %d", len(tok))
		}
		if !strings.EqualFold(v[:6], "Bearer") || strings.Trim(v[6:len(v)-len(tok)], " ") != "" || len(v) == 6+len(tok) || !strings.HasSuffix(v, tok) {
			t.Fatalf("accepted %q from %q", tok, v)
		}
		body := strings.TrimRight(tok, "=")
		if body == "" {
			t.Fatalf("padding only accepted: %q", tok)
		}
		for _, c := range []byte(body) {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/", rune(c)) {
				t.Fatalf("accepted %q with %q", tok, c)
			}
		}
	})
}
