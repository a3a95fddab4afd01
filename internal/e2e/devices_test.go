package e2e_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// "Log out all other devices" in one browser context ends the session of a
// second, separate context on its very next request.
func TestLogoutOthersEndsAnotherDevice(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	s.user(t, "two-devices")
	laptop, phone := b.NewContext(t), b.NewContext(t)
	s.open(t, laptop)
	s.open(t, phone)
	csrf := jsLogin(t, laptop, "two-devices", "cookie")["csrf_token"].(string)
	jsLogin(t, phone, "two-devices", "cookie")
	if status(t, phone, "/v1/me") != 200 {
		t.Fatal("phone not logged in")
	}
	got := testenv.Eval[int](t, laptop, `fetch("/v1/logout", {method: "POST",
		headers: {"Content-Type": "application/json", "X-CSRF-Token": `+jsString(csrf)+`},
		body: JSON.stringify({scope: "others"})}).then(r => r.status)`)
	if got != 204 {
		t.Fatalf("logout others = %d", got)
	}
	if got := status(t, phone, "/v1/me"); got != 401 {
		t.Fatalf("the other device's next request = %d, want 401", got)
	}
	if got := status(t, laptop, "/v1/me"); got != 200 {
		t.Fatalf("the device that logged the others out = %d, want 200", got)
	}
}
