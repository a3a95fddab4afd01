package authn_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// TestMintForSession: one signature per session until shortly before
// expiry, a new one on a role change, and a revoked session's token is
// refused and dropped from the cache (also for a force-logout, which
// revokes by user).
func TestMintForSession(t *testing.T) {
	t.Parallel()
	s, clk := service(t, nil)
	pair := newUser(t, s, "mint")
	p, err := s.Authenticate(pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.MintForSession(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := s.MintForSession(t.Context(), p)
		if err != nil || again.Raw != first.Raw {
			t.Fatalf("not reused: %v", err)
		}
	}
	if n := s.SessionTokensMinted(); n != 1 {
		t.Fatalf("%d mints, want 1", n)
	}
	minted, err := s.Authenticate(first.Raw)
	if err != nil || minted.SessionID != p.SessionID || minted.UserID != p.UserID {
		t.Fatalf("minted token: %+v %v", minted, err)
	}
	p.Roles = []string{"admin"}
	if next, _ := s.MintForSession(t.Context(), p); next.Raw == first.Raw || s.SessionTokensMinted() != 2 {
		t.Fatal("a role change must re-mint")
	}
	clk.Add(15*time.Minute - 59*time.Second)
	if next, _ := s.MintForSession(t.Context(), p); s.SessionTokensMinted() != 3 || !next.ExpiresAt.After(clk.Now().Add(time.Minute)) {
		t.Fatal("a token in its last minute must be replaced")
	}
	if err := s.ForceLogout(t.Context(), p.UserID, cli); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MintForSession(t.Context(), p); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("after force-logout: %v, want ErrRevoked", err)
	}
	if s.SessionTokenCached(p.SessionID) {
		t.Fatal("the revoked session's token is still cached")
	}
}
