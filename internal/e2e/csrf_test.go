package e2e_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse/gatehouse/internal/testenv"
)

// attackPage auto-submits a form to Gatehouse's logout and fires a
// credentialed fetch at it (a "simple" request, so no preflight stops it
// before the server sees it), then shows #done.
func attackPage(target string) string {
	return fmt.Sprintf(`<!doctype html><title>attacker</title>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" action="%[1]s/v1/logout" target="sink" enctype="text/plain">
<input name='{"scope":"global","x":"' value='"}'></form>
<script>
document.getElementById("f").submit();
fetch("%[1]s/v1/logout", {method: "POST", credentials: "include", mode: "no-cors",
	headers: {"Content-Type": "text/plain"}, body: JSON.stringify({scope: "global"})})
	.catch(() => {})
	.finally(() => setTimeout(() => { const p = document.createElement("p"); p.id = "done"; document.body.append(p); }, 300));
</script>`, target)
}

// A page on another site (127.0.0.2) and a page on another origin of the
// same site (another port of 127.0.0.1, whose Lax cookies do go along) try
// to log the user out with a form and a fetch; the user's session and
// state are unchanged.
func TestCrossOriginPagesCannotActWithTheCookies(t *testing.T) {
	b := testenv.Browser(t)
	s := startServer(t, nil)
	for _, tc := range []struct{ name, listen string }{
		{"another site", "127.0.0.2:0"},
		{"same site, another origin", "127.0.0.1:0"},
	} {
		for _, delivery := range []string{"cookie", "jwt-cookie"} {
			t.Run(tc.name+"/"+delivery, func(t *testing.T) {
				name := fmt.Sprintf("victim-%s-%s", tc.listen[:9], delivery)
				s.user(t, name)
				device := b.NewContext(t)
				s.open(t, device)
				jsLogin(t, device, name, delivery)
				before := testenv.Eval[int](t, device, `fetch("/v1/sessions").then(r => r.json()).then(b => b.sessions.length)`)

				seen := len(s.logoutStatuses())
				evil := attacker(t, tc.listen, attackPage(s.url))
				tab := b.NewTab(t, device)
				testenv.Do(t, tab, chromedp.Navigate(evil+"/"), chromedp.WaitReady(chromedp.ID("done")))

				attempts := s.logoutStatuses()[seen:]
				if len(attempts) == 0 {
					t.Fatal("no attack request reached the server: the test proves nothing")
				}
				for _, code := range attempts {
					if code/100 == 2 {
						t.Fatalf("an attack request was answered %d", code)
					}
				}
				t.Logf("attack requests answered %v", attempts)
				if got := status(t, device, "/v1/me"); got != 200 {
					t.Fatalf("after the attack page, /v1/me = %d: the attack logged the user out", got)
				}
				after := testenv.Eval[int](t, device, `fetch("/v1/sessions").then(r => r.json()).then(b => b.sessions.length)`)
				if after != before {
					t.Fatalf("sessions %d → %d after the attack page", before, after)
				}
			})
		}
	}
}
