package storetest

import (
	"testing"

	"github.com/gatehouse/gatehouse/store"
)

// test is one behaviour, checked against a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the conformance suite. Every subtest calls open for a fresh, empty
// store; open is responsible for closing it (t.Cleanup). Subtests run one at
// a time, so open may reset a shared server.
//
// Conventions the suite fixes where the contract leaves room:
//   - empty results (no users, sessions, keys, revocations) may be nil or
//     empty slices; so may a user's Roles when it has none;
//   - a nil and an empty CookieHash are the same (no cookie);
//   - times round-trip at least to the microsecond; expectations are
//     truncated to it;
//   - Sweep counts the session, revocation and challenge rows it removed;
//   - outside the Users group every store starts with users u1 and u2
//     (CreateSession checks the user's credential version);
//   - an event without detail may read back with a nil or an empty Detail;
//   - UserEvents with limit <= 0 returns at most 100 events; any limit is
//     capped at 1000.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Users", userTests},
		{"CreateSession", createTests},
		{"CreateSessionEnd", createEndTests},
		{"Sessions", sessionTests},
		{"RotateRefresh", rotateTests},
		{"Reauth", reauthTests},
		{"Browser", browserTests},
		{"End", endTests},
		{"Revocations", revocationTests},
		{"RevocationLog", revocationLogTests},
		{"Sweep", sweepTests},
		{"Keys", keyTests},
		{"Limits", limitTests},
		{"Challenges", challengeTests},
		{"Events", eventTests},
		{"Race", raceTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := open(t)
					if g.name != "Users" {
						addSuiteUsers(t, s)
					}
					tc.fn(t, s)
				})
			}
		})
	}
}
