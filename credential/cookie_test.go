package credential_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/credential"
)

const sessionCookie = "__Host-gatehouse"

func TestCookie(t *testing.T) {
	t.Parallel()
	const v = "q3Vt7X_-abc"
	cases := []struct {
		name    string
		lines   []string // Cookie header fields
		want    string
		present bool
		bad     bool
	}{
		{name: "no Cookie header", lines: nil},
		{name: "other cookies only", lines: []string{"theme=dark; lang=en"}},
		{name: "name differs by case is another cookie", lines: []string{"__host-gatehouse=" + v}},
		{name: "space before =", lines: []string{sessionCookie + " =" + v}, present: true, bad: true},
		{name: "tab before =", lines: []string{"a=b; " + sessionCookie + "\t=" + v}, present: true, bad: true},
		{name: "alone", lines: []string{sessionCookie + "=" + v}, want: v, present: true},
		{name: "among others", lines: []string{"theme=dark; " + sessionCookie + "=" + v + "; lang=en"}, want: v, present: true},
		{name: "foreign cookies may be odd", lines: []string{`x="quoted"; y; ` + sessionCookie + "=" + v + "; z=a b"}, want: v, present: true},
		{name: "HTTP/2 split into fields", lines: []string{"theme=dark", sessionCookie + "=" + v}, want: v, present: true},
		{name: "twice in one field", lines: []string{sessionCookie + "=" + v + "; " + sessionCookie + "=other"}, present: true, bad: true},
		{name: "twice with the same value", lines: []string{sessionCookie + "=" + v + "; " + sessionCookie + "=" + v}, present: true, bad: true},
		{name: "twice across fields", lines: []string{sessionCookie + "=" + v, sessionCookie + "=other"}, present: true, bad: true},
		{name: "empty value", lines: []string{sessionCookie + "="}, present: true, bad: true},
		{name: "quoted value", lines: []string{sessionCookie + `="` + v + `"`}, present: true, bad: true},
		{name: "trailing space", lines: []string{sessionCookie + "=" + v + " ; a=b"}, present: true, bad: true},
		{name: "trailing NBSP", lines: []string{sessionCookie + "=" + v + "\u00a0"}, present: true, bad: true},
		{name: "leading IDEOGRAPHIC SPACE", lines: []string{sessionCookie + "=\u3000" + v}, present: true, bad: true},
		{name: "percent-escaped", lines: []string{sessionCookie + "=%41" + v}, present: true, bad: true},
		{name: "= in the middle", lines: []string{sessionCookie + "=ab=cd"}, present: true, bad: true},
		{name: "too long", lines: []string{sessionCookie + "=" + strings.Repeat("a", credential.MaxLength+1)}, present: true, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for _, l := range c.lines {
				h.Add("Cookie", l)
			}
			got, present, err := credential.Cookie(h, sessionCookie)
			if present != c.present {
				t.Fatalf("present = %v, want %v (err %v)", present, c.present, err)
			}
			if c.bad {
				if !errors.Is(err, credential.ErrMalformed) || got != "" {
					t.Fatalf("Cookie = %q, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Cookie = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestCookieAgreesWithNetHTTP: for a well-formed request the package reads
// the same value net/http does, so switching parsers changes nothing for
// honest clients.
func TestCookieAgreesWithNetHTTP(t *testing.T) {
	t.Parallel()
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.AddCookie(&http.Cookie{Name: "a", Value: "1"})
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: "tok-en_1"})
	want, err := r.Cookie(sessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	got, present, err := credential.Cookie(r.Header, sessionCookie)
	if err != nil || !present || got != want.Value {
		t.Fatalf("Cookie = %q, %v, %v; net/http reads %q", got, present, err, want.Value)
	}
}

func FuzzCookie(f *testing.F) {
	for _, s := range []string{sessionCookie + "=abc", "a=b; " + sessionCookie + "=x; " + sessionCookie + "=y", sessionCookie + "=\"x\"", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got, present, err := credential.Cookie(http.Header{"Cookie": {line}}, sessionCookie)
		if err != nil {
			if !present || !errors.Is(err, credential.ErrMalformed) || got != "" {
				t.Fatalf("error %v, present %v, value %q", err, present, got)
			}
			return
		}
		if !present {
			if strings.Contains(line, sessionCookie+"=") && got != "" {
				t.Fatalf("absent but value %q", got)
			}
			return
		}
		if got == "" || len(got) > credential.MaxLength || strings.ContainsAny(got, " \t;\",\\") || strings.Count(line, sessionCookie+"=") < 1 {
			t.Fatalf("accepted %q from %q", got, line)
		}
	})
}
