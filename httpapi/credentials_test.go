package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// Before the fix sessions were ended first and the hash stored after, so a
// login that had read the old hash created its session afterwards and kept
// a working refresh token (5 of 5 in a probe). Session creation now checks
// the credential version that the password change bumps atomically.
func TestLoginsRacingAPasswordResetNeverSurviveIt(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) {
		c.RateUserBurst, c.RateIPBurst = 0, 0
		c.Argon2Memory = 2048 // a few ms per hash: logins overlap the reset
	})
	id := e.signup("racer", "correct horse battery")
	old := "correct horse battery"
	for round := range 4 {
		next := fmt.Sprintf("reset password %d", round)
		var mu sync.Mutex
		var won []pair
		done, first := make(chan struct{}), make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					r := e.do("POST", "/v1/login", "", map[string]string{"username": "racer", "password": old})
					if r.status == 200 {
						mu.Lock()
						won = append(won, toPair(t, r))
						mu.Unlock()
						once.Do(func() { close(first) })
					}
				}
			})
		}
		<-first // logins are in flight: reset while they keep coming
		expect(t, e.do("PUT", "/v1/admin/users/"+id+"/password", adminToken, map[string]string{"password": next}), 204, "")
		close(done)
		wg.Wait()
		for _, p := range won {
			expect(t, e.refresh(p.Refresh), 401, "invalid_refresh_token")
			expect(t, e.do("GET", "/v1/me", p.Access, nil), 401, "token_revoked")
		}
		old = next
	}
}

// Before the fix a login challenge obtained with the old password (overflow
// policy reject) still resolved for two minutes after a password change,
// and its holder ended one of the owner's sessions.
func TestChallengeFromBeforeAPasswordChangeIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *config.Config) { c.MaxSessions = 1; c.SessionOverflow = "reject" })
	_, owner := e.user("chal")
	r := e.do("POST", "/v1/login", "", loginBody("chal"))
	expect(t, r, 409, "session_limit")
	challenge := r.str(t, "login_challenge")
	expect(t, e.do("POST", "/v1/password", owner.Access, map[string]string{"current_password": "correct horse battery", "new_password": "a brand new password"}), 204, "")
	expect(t, e.do("POST", "/v1/login/resolve", "", map[string]string{"login_challenge": challenge, "end_session_id": owner.Session}), 401, "invalid_credentials")
	expect(t, e.do("GET", "/v1/me", owner.Access, nil), 200, "")
}

// Changing the password with the correct current password is itself a
// fresh authentication: no reauth_required (API.md: 204).
func TestPasswordChangeNeedsNoStepUp(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	_, a := e.user("stale")
	e.clock.Add(14 * time.Minute) // past --reauth-max-age, token still valid
	expect(t, e.do("POST", "/v1/password", a.Access, map[string]string{"current_password": "correct horse battery", "new_password": "another long password"}), 204, "")
	e.login("stale", "another long password")
}
