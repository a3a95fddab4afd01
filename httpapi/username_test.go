package httpapi_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestOneAccountPerLookingName: spellings PRECIS maps together are one
// account (either logs in, a second signup is 409), a name that only looks
// like a taken one is 409 too but never logs in to it, and names that show
// as nothing are 400.
func TestOneAccountPerLookingName(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	const pw = "correct horse battery"
	signup := func(name string) resp {
		return e.do("POST", "/v1/signup", "", map[string]string{"username": name, "password": pw})
	}
	login := func(name string) resp {
		return e.do("POST", "/v1/login", "", map[string]string{"username": name, "password": pw})
	}
	r := signup("admin")
	expect(t, r, 201, "")
	adminID := r.json(t)["user"].(map[string]any)["id"]
	// Each subtest fails on its own on code without the rules.
	sameAccount := func(t *testing.T, name string) {
		t.Helper()
		expect(t, signup(name), 409, "user_exists")
		r := login(name)
		expect(t, r, 200, "")
		me := e.do("GET", "/v1/me", toPair(t, r).Access, nil)
		if u := me.json(t)["user"].(map[string]any); u["id"] != adminID || u["username"] != "admin" {
			t.Errorf("login as %q reached %v", name, u)
		}
	}
	t.Run("fullwidth is the same name", func(t *testing.T) { sameAccount(t, "ａｄｍｉｎ") })
	t.Run("fullwidth capitals are the same name", func(t *testing.T) { sameAccount(t, "ＡＤＭＩＮ") })
	t.Run("capitals are the same name", func(t *testing.T) { sameAccount(t, "Admin") })
	t.Run("NFD and NFC are the same name", func(t *testing.T) {
		expect(t, signup("jos\u00e9"), 201, "")
		expect(t, signup("jose\u0301"), 409, "user_exists")
		expect(t, login("jose\u0301"), 200, "")
		expect(t, signup("Zoe\u0308"), 201, "")
		expect(t, signup("zo\u00eb"), 409, "user_exists")
		expect(t, login("ZO\u00cb"), 200, "")
	})
	t.Run("look-alikes are taken and no way in", func(t *testing.T) {
		for _, name := range []string{"\u0430dmin", "adrnin", "\u0430\u0501min"} {
			expect(t, signup(name), 409, "user_exists")
			expect(t, login(name), 401, "invalid_credentials")
		}
	})
	for _, tc := range []struct{ what, name string }{
		{"HANGUL FILLER", "\u3164\u3164\u3164"},
		{"BRAILLE PATTERN BLANK", "\u2800\u2800\u2800"},
		{"Hangul choseong and jungseong fillers", "\u115f\u1160\u115f"},
		{"HALFWIDTH HANGUL FILLER", "\uffa0\uffa0\uffa0"},
		{"combining marks alone", "\u0301\u0302\u0303"},
		{"a filler after a name", "bob\u3164"},
		{"spaces", "a b c"},
	} {
		t.Run(tc.what+" is 400", func(t *testing.T) {
			expect(t, signup(tc.name), 400, "invalid_request")
		})
	}
}

// TestPasswordsAreNormalized: a password is one password however its
// characters are composed (PRECIS OpaqueString), at signup, login, password
// change and reauth; one OpaqueString refuses is 400 for a new password.
func TestPasswordsAreNormalized(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	nfc, nfd := "p\u00e4ssw\u00f6rd \u00e9t\u00e9", "pa\u0308sswo\u0308rd e\u0301te\u0301"
	e.signup("carla", nfc)
	p := e.login("carla", nfd)
	e.login("carla", "p\u00e4ssw\u00f6rd\u00a0\u00e9t\u00e9") // NO-BREAK SPACE is a space
	expect(t, e.do("POST", "/v1/reauth", p.Access, map[string]string{"password": nfd}), 200, "")

	next, nextNFD := "n\u00e9w s\u00e9cret", "ne\u0301w se\u0301cret"
	expect(t, e.do("POST", "/v1/password", p.Access, map[string]string{"current_password": nfd, "new_password": nextNFD}), 204, "")
	e.login("carla", next)

	for _, bad := range []string{"control\u0007chars", "tab\there and there"} {
		expect(t, e.do("POST", "/v1/signup", "", map[string]string{"username": "dora", "password": bad}), 400, "invalid_request")
		expect(t, e.do("POST", "/v1/password", p.Access, map[string]string{"current_password": next, "new_password": bad}), 400, "invalid_request")
	}
}

// TestSpellingsOfANameShareItsRateLimit: the per-username bucket is keyed on
// the mapped name, so spelling it another way buys no fresh guesses.
func TestSpellingsOfANameShareItsRateLimit(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateUserBurst, c.RateUserPerMinute, c.RateIPBurst = 3, 1, 0 })
	e.signup("sam", "correct horse battery")
	for _, name := range []string{"sam", "\uff53\uff41\uff4d", "\uff53am"} {
		expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": name, "password": "a wrong guess"}), 401, "invalid_credentials")
	}
	r := e.do("POST", "/v1/login", "", map[string]string{"username": "s\uff41m", "password": "a wrong guess"})
	expect(t, r, 429, "rate_limited")
}
