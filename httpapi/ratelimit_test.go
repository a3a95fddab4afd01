package httpapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// Before the fix the buckets were peeked before the hash and charged after
// it, so concurrent guesses all passed an almost empty bucket (60 of 60 got
// 401 with a burst of 10).
func TestConcurrentGuessesNeverPassTheBurst(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateUserBurst, c.RateUserPerMinute = 10, 0.001 })
	e.signup("flood", "correct horse battery")
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			r := e.do("POST", "/v1/login", "", map[string]string{"username": "flood", "password": fmt.Sprintf("guess-%02d-xx", i)})
			if r.status == 429 && r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[401] > 10 || counts[401]+counts[429] != 60 {
		t.Fatalf("60 concurrent guesses with a burst of 10: %v; want at most 10 reaching the hasher (401), the rest 429", counts)
	}
}

// Login, reauth and password change count password failures together: a
// thief holding an access token does not get three bursts of guesses.
func TestPasswordFailuresCountTogether(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateUserBurst, c.RateUserPerMinute = 4, 0.001 })
	_, a := e.user("thief-target")
	for i := range 4 {
		expect(t, e.do("POST", "/v1/reauth", a.Access, map[string]string{"password": fmt.Sprintf("guess-%d-xx", i)}), 401, "invalid_credentials")
	}
	expect(t, e.do("POST", "/v1/reauth", a.Access, map[string]string{"password": "guess-more"}), 429, "rate_limited")
	expect(t, e.do("POST", "/v1/password", a.Access, map[string]string{"current_password": "guess-more", "new_password": "new long password"}), 429, "rate_limited")
	r := e.do("POST", "/v1/login", "", map[string]string{"username": "thief-target", "password": "guess-more", "device_id": a.Device})
	expect(t, r, 429, "rate_limited")
}

// Before the fix one guess every few seconds from anywhere locked the real
// user out (6 of 10 correct logins got 429). A device the user has logged in
// on before has its own bucket (OWASP device cookies).
func TestGuessesFromElsewhereNeverLockOutAKnownDevice(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateUserBurst, c.RateUserPerMinute = 3, 0.001 })
	_, home := e.user("owner")
	for i := range 10 {
		e.do("POST", "/v1/login", "", map[string]string{"username": "owner", "password": fmt.Sprintf("guess-%d-xx", i)})
	}
	expect(t, e.do("POST", "/v1/login", "", map[string]string{"username": "owner", "password": "correct horse battery"}), 429, "rate_limited")
	for range 5 {
		p := e.login("owner", "correct horse battery", home.Device)
		if p.Device != home.Device {
			t.Fatalf("known device got a new id %q", p.Device)
		}
	}
	// A device id issued to another user is not a known device of this one.
	_, other := e.user("someone-else")
	r := e.do("POST", "/v1/login", "", map[string]string{"username": "owner", "password": "correct horse battery", "device_id": other.Device})
	expect(t, r, 429, "rate_limited")
}

// IPv6 clients are limited per /64: before the fix every address of a /64
// had its own bucket.
func TestIPv6ClientsAreLimitedPerSlash64(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) {
		c.RateIPBurst, c.RateIPPerMinute = 3, 0.001
		c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	})
	guess := func(from string) resp {
		return e.do("POST", "/v1/login", "", map[string]string{"username": "nobody-" + from, "password": "guess guess"}, "X-Forwarded-For", from)
	}
	for i := range 3 {
		expect(t, guess(fmt.Sprintf("2001:db8:1:2::%x", i+1)), 401, "invalid_credentials")
	}
	expect(t, guess("2001:db8:1:2:ffff:ffff:ffff:ffff"), 429, "rate_limited")
	expect(t, guess("2001:db8:1:3::1"), 401, "invalid_credentials") // another /64
	expect(t, guess("192.0.2.7"), 401, "invalid_credentials")
}

// Every signup costs an argon2 hash: before the fix only taken names were
// charged, so fresh names bought unlimited hashing.
func TestEverySignupCountsPerAddress(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.RateIPBurst, c.RateIPPerMinute = 3, 0.001 })
	for i := range 3 {
		e.signup(fmt.Sprintf("fresh-%d", i), "correct horse battery")
	}
	expect(t, e.do("POST", "/v1/signup", "", map[string]string{"username": "fresh-9", "password": "correct horse battery"}), 429, "rate_limited")
}
