package authn_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/store"
)

// BenchmarkLogin compares a login with no limit to one at a limit (evicting
// on every call): the limit is applied inside the same atomic store
// operation, so the difference is the eviction's work, not a round trip.
// Argon2 is set to its cheapest so the store path is what is measured.
func BenchmarkLogin(b *testing.B) {
	for _, tc := range []struct {
		name  string
		limit int
	}{{"no-limit", 0}, {"limit-3-evicting", 3}} {
		b.Run(tc.name, func(b *testing.B) {
			s, _ := service(b, func(c *config.Config) {
				c.MaxSessions = tc.limit
				c.Argon2Memory, c.Argon2Time = 8, 1
			})
			if _, err := s.CreateUser(context.Background(), "bench", pw, nil); err != nil {
				b.Fatal(err)
			}
			in := authn.LoginInput{Username: "bench", Password: pw, Client: cli}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Login(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seedSessions gives one user n sessions directly through the store.
func seedSessions(b *testing.B, n int) (*authn.Service, *authn.Principal) {
	s, clk := service(b, nil)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "many", pw, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := clk.Now()
	for i := 0; i < n; i++ {
		sess := store.Session{
			ID: fmt.Sprintf("sess-%05d", i), UserID: u.ID, DeviceID: fmt.Sprintf("dev-%05d", i),
			CreatedAt: now, LastSeenAt: now, AuthTime: now, RotatedAt: now, RefreshGen: 1,
			ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(time.Hour), RefreshHash: []byte(fmt.Sprint(i)),
		}
		if _, err := s.Store.CreateSession(ctx, store.CreateSession{Session: sess, Now: now, RevokeUntil: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	return s, &authn.Principal{UserID: u.ID, SessionID: "sess-00000", AuthTime: now}
}

// BenchmarkListSessions1000: GET /v1/sessions for a user with 1,000 sessions
// (budget < 20 ms).
func BenchmarkListSessions1000(b *testing.B) {
	s, p := seedSessions(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		list, err := s.Sessions(context.Background(), p.UserID)
		if err != nil || len(list) != 1000 {
			b.Fatal(len(list), err)
		}
	}
}

// BenchmarkLogoutGlobal1000: logout everywhere for a user with 1,000
// sessions, including the 1,000 revocations (budget < 20 ms). Seeding is
// excluded from the timing.
func BenchmarkLogoutGlobal1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, p := seedSessions(b, 1000)
		b.StartTimer()
		if err := s.Logout(context.Background(), p, authn.ScopeGlobal, cli); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateCookie: a browser request's session lookup with the
// cache warm (no store I/O: hash, map, revocation set), against the same
// request with a bearer token whose verification is cached.
func BenchmarkAuthenticateCookie(b *testing.B) {
	s, _ := service(b, nil)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "cookie-bench", pw, nil); err != nil {
		b.Fatal(err)
	}
	pair, err := s.Login(ctx, authn.LoginInput{Username: "cookie-bench", Password: pw, Client: cli, Delivery: authn.DeliveryCookie})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cookie", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AuthenticateCookie(ctx, pair.CookieSecret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bearer-cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Authenticate(pair.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}
