package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// text is one language's strings, by key. Templates read them with
// {{.T.Get "key"}}: an unknown key fails the rendering (and so the tests)
// instead of showing an empty label.
type text struct {
	lang    string // BCP 47 tag of <html lang> and Content-Language
	strings map[string]string
}

// Get is the string of key.
func (t *text) Get(key string) (string, error) {
	s, ok := t.strings[key]
	if !ok {
		return "", fmt.Errorf("web: no %s text for %q", t.lang, key)
	}
	return s, nil
}

// Lang is the language's BCP 47 tag.
func (t *text) Lang() string { return t.lang }

// has reports whether key exists (for optional, more precise messages).
func (t *text) has(key string) bool { _, ok := t.strings[key]; return ok }

var (
	english = &text{lang: "en", strings: textEN}
	korean  = &text{lang: "ko", strings: textKO}
)

// maxAcceptLanguage bounds the work one header can cause.
const (
	maxAcceptLanguage = 1024
	maxLanguageRanges = 32
)

// negotiate picks the page language from Accept-Language (RFC 9110
// §12.5.4): the supported language with the highest q-value, ties to the
// one listed first; "ko" and any "ko-*" are Korean; everything else, and no
// usable header, is English.
func negotiate(r *http.Request) *text {
	h := strings.Join(r.Header.Values("Accept-Language"), ",")
	if h == "" || len(h) > maxAcceptLanguage {
		return english
	}
	best, bestQ := english, -1.0
	for i, part := range strings.Split(h, ",") {
		if i == maxLanguageRanges {
			break
		}
		tag, q, ok := languageRange(part)
		if !ok || q <= 0 {
			continue
		}
		var t *text
		switch primary, _, _ := strings.Cut(strings.ToLower(tag), "-"); primary {
		case "ko":
			t = korean
		case "en":
			t = english
		default:
			continue // "*" and languages we do not have: English by default
		}
		if q > bestQ {
			best, bestQ = t, q
		}
	}
	return best
}

// languageRange parses `tag[;q=value]`; ok is false for a malformed one.
func languageRange(s string) (tag string, q float64, ok bool) {
	tag, params, _ := strings.Cut(strings.TrimSpace(s), ";")
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return "", 0, false
	}
	q = 1
	if params = strings.TrimSpace(params); params != "" {
		name, v, found := strings.Cut(params, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			return "", 0, false
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return "", 0, false
		}
		q = f
	}
	return tag, q, true
}
