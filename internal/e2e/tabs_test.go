package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// loadClient imports gatehouse.js into the tab as window.gh.
func loadClient(t *testing.T, tab context.Context) {
	t.Helper()
	testenv.Eval[bool](t, tab, `import("/gatehouse.js").then(m => {
		window.gh = m.createClient();
		window.loggedOut = 0;
		window.gh.addEventListener("logged-out", () => window.loggedOut++);
		return true;
	})`)
}

// Two tabs whose access cookies expired call the API at the same moment
// through gatehouse.js: both continue, the session is not revoked (no
// reuse), and exactly one refresh reached the server.
func TestTwoTabsShareOneRefresh(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	s.user(t, "two-tabs")
	first := b.NewContext(t)
	s.open(t, first)
	if got := jsLogin(t, first, "two-tabs", "jwt-cookie"); got["status"] != float64(200) {
		t.Fatalf("login: %v", got)
	}
	second := b.NewTab(t, first)
	s.open(t, second)
	for _, tab := range []context.Context{first, second} {
		loadClient(t, tab)
	}
	s.clock.Add(16 * time.Minute) // past the 15-minute access token
	if got := status(t, first, "/v1/me"); got != 401 {
		t.Fatalf("/v1/me with the expired access cookie = %d, want 401", got)
	}
	before := s.refreshes.Load()
	// The unsafe call passes the CSRF check (gatehouse.js adds the token)
	// and is then refused for its stale auth_time: reauth_required, not
	// csrf_failed.
	got := testenv.EvalAtOnce[[]string](t, `Promise.all([
		gh.fetch("/v1/me").then(r => String(r.status)),
		gh.fetch("/v1/sessions").then(r => String(r.status)),
		gh.fetch("/v1/logout", {method: "POST", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({scope: "others"})}).then(r => r.json()).then(b => b.error),
	])`, first, second)
	for i, answers := range got {
		if len(answers) != 3 || answers[0] != "200" || answers[1] != "200" || answers[2] != "reauth_required" {
			t.Errorf("tab %d: answers %v, want [200 200 reauth_required]", i+1, answers)
		}
	}
	if n := s.refreshes.Load() - before; n != 1 {
		t.Errorf("%d refreshes reached the server, want exactly 1", n)
	}
	for i, tab := range []context.Context{first, second} {
		if n := testenv.Eval[int](t, tab, "window.loggedOut"); n != 0 {
			t.Errorf("tab %d saw %d logged-out events", i+1, n)
		}
		if got := status(t, tab, "/v1/me"); got != 200 {
			t.Errorf("tab %d after the refresh: /v1/me = %d", i+1, got)
		}
	}
}
