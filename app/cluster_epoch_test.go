package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
)

// TestClusterPrimaryRestartedEmpty is issue 9's restart-empty on a Redis
// Cluster, for a primary that is NOT the revocation log's (whose epoch key
// did not notice before the epoch was spread over the slots): one user's
// state lives on that primary, another's elsewhere; two nodes run through
// the restart (kill -9, back on the same port with its nodes.conf, its
// slots and no data). Both nodes then refuse both old access tokens — the
// lost user's and the surviving user's — the surviving user's refresh
// works and its new token is accepted, the lost user's refresh is 401,
// and a third node started after the restart refuses both old tokens too.
func TestClusterPrimaryRestartedEmpty(t *testing.T) {
	rc, c := clusterConfig(t, 0)
	nodes, srvs := startClusterNodes(t, c, 2)
	_, prefix, _ := strings.Cut(c.RedisURL, "?prefix=")
	ctx := context.Background()
	logPrimary := rc.Owner(t, rc.Slot(t, prefix+"{r}:epoch"))

	// Users one at a time, each logged in, until one's state sits on a
	// primary other than the log's (the victim) and another's elsewhere.
	userKeys := func(n *testenv.Redis) int {
		out, err := rc.Cmd(n, "KEYS", prefix+"{u:*")
		if err != nil {
			t.Fatal(err)
		}
		return len(strings.Fields(out))
	}
	type login struct {
		user string
		s    session
		home *testenv.Redis
	}
	var logins []*login
	var lost, kept *login
	for i := 0; lost == nil; i++ {
		if i == 40 {
			t.Fatal("40 users and no two on different primaries, one of them not the log's")
		}
		user := fmt.Sprintf("user%d", i)
		if _, err := nodes[0].Service.CreateUser(ctx, user, "correct horse battery", nil); err != nil {
			t.Fatal(err)
		}
		before := make([]int, len(rc.Nodes))
		for j, n := range rc.Nodes {
			before[j] = userKeys(n)
		}
		l := &login{user: user, s: httpLogin(t, srvs[i%2].URL, user, "")}
		for j, n := range rc.Nodes {
			if userKeys(n) > before[j] {
				l.home = n
			}
		}
		if l.home == nil {
			t.Fatalf("%s's login wrote no user key", user)
		}
		logins = append(logins, l)
		for _, a := range logins {
			for _, b := range logins {
				if lost == nil && a.home != logPrimary && b.home != a.home {
					lost, kept = a, b
				}
			}
		}
	}
	victim := lost.home
	t.Logf("restarting %s (%s's state; %s's elsewhere; the log on %s)", victim.Addr, lost.user, kept.user, logPrimary.Addr)
	for i, srv := range srvs {
		for _, l := range []*login{lost, kept} {
			expectCode(t, fmt.Sprintf("node %d: %s's token before the restart", i+1, l.user),
				do(t, "GET", srv.URL+"/v1/verify", nil, bearer(l.s.access)), 200, "")
		}
	}
	// iat has whole seconds, and so has the epoch's not-before: the
	// restart starts in a later second than the logins, so the epoch made
	// when it is detected is later than every token issued before it. (A
	// wait, not a timing assertion.)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	rc.RestartEmpty(t, victim)

	// Every node notices within its epoch check (a second): poll, bounded
	// for a stuck test.
	for i, srv := range srvs {
		for _, l := range []*login{lost, kept} {
			refusedSoon(t, fmt.Sprintf("node %d: %s's token issued before the restart", i+1, l.user), srv, l.s.access)
		}
	}
	res := retry503(t, func() *http.Response {
		return do(t, "POST", srvs[1].URL+"/v1/token/refresh", map[string]string{"refresh_token": kept.s.refresh}, nil)
	})
	expectCode(t, kept.user+"'s refresh after the restart (its primary kept it)", res, 200, "")
	fresh := jsonBody(res)["access_token"]
	expectCode(t, lost.user+"'s refresh after the restart (its primary lost it)", retry503(t, func() *http.Response {
		return do(t, "POST", srvs[0].URL+"/v1/token/refresh", map[string]string{"refresh_token": lost.s.refresh}, nil)
	}), 401, "invalid_refresh_token")

	_, late := startClusterNodes(t, c, 1) // a node started after the restart
	all := append(append([]*httptest.Server{}, srvs...), late...)
	for _, l := range []*login{lost, kept} {
		expectCode(t, "node 3 (started after the restart): "+l.user+"'s token issued before it",
			do(t, "GET", late[0].URL+"/v1/verify", nil, bearer(l.s.access)), 401, "")
	}
	for i, srv := range all {
		expectCode(t, fmt.Sprintf("node %d: %s's token refreshed after the restart", i+1, kept.user),
			do(t, "GET", srv.URL+"/v1/verify", nil, bearer(fresh)), 200, "")
	}
}

// refusedSoon polls verify on srv until tok is refused (401); a node that
// still accepts it after 20 s fails (a bound for a stuck test: the epoch
// check runs every second).
func refusedSoon(t *testing.T, what string, srv *httptest.Server, tok string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := do(t, "GET", srv.URL+"/v1/verify", nil, bearer(tok))
		res.Body.Close()
		if res.StatusCode == 401 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d after 20 s, want 401", what, res.StatusCode)
		}
		time.Sleep(50 * time.Millisecond) // polling the node's background check, not a test clock
	}
}
