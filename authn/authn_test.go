package authn_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/app"
	"github.com/gatehouse/gatehouse/authn"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/token"
)

const pw = "correct horse battery"

var cli = authn.Client{IP: "192.0.2.1", UserAgent: "test"}

// service is a real Service on SQLite in a temp dir with an injected clock.
func service(t testing.TB, mutate func(*config.Config)) (*authn.Service, *testenv.Clock) {
	t.Helper()
	c := testenv.Config(t)
	c.RateUserBurst, c.RateIPBurst = 0, 0
	if mutate != nil {
		mutate(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))
	a, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a.Service, clk
}

func login(t *testing.T, s *authn.Service, user, device string) authn.TokenPair {
	t.Helper()
	p, err := s.Login(t.Context(), authn.LoginInput{Username: user, Password: pw, DeviceID: device, Client: cli})
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return p
}

func newUser(t *testing.T, s *authn.Service, name string, roles ...string) authn.TokenPair {
	t.Helper()
	if _, err := s.CreateUser(t.Context(), name, pw, roles); err != nil {
		t.Fatal(err)
	}
	return login(t, s, name, "")
}

func alive(s *authn.Service, p authn.TokenPair) error {
	_, err := s.Authenticate(p.AccessToken)
	return err
}

func TestRefreshChainPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		grace time.Duration
		wait  time.Duration // after the first rotation
		again string        // which token is presented again: "first" or "second-generation-back"
		want  error
	}{
		{"replay within grace returns the successor", 10 * time.Second, 10 * time.Second, "first", nil},
		{"replay just after grace is reuse", 10 * time.Second, 10*time.Second + time.Millisecond, "first", authn.ErrReused},
		{"zero grace makes any replay reuse", 0, 0, "first", authn.ErrReused},
		{"two generations back is reuse even within grace", 10 * time.Second, time.Second, "second-generation-back", authn.ErrReused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, clk := service(t, func(c *config.Config) { c.RefreshReuseGrace = tt.grace })
			p := newUser(t, s, "chain")
			p2, err := s.Refresh(t.Context(), p.RefreshToken, cli)
			if err != nil {
				t.Fatal(err)
			}
			presented := p.RefreshToken
			if tt.again == "second-generation-back" {
				if _, err := s.Refresh(t.Context(), p2.RefreshToken, cli); err != nil {
					t.Fatal(err)
				}
			}
			clk.Add(tt.wait)
			got, err := s.Refresh(t.Context(), presented, cli)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("Refresh = %v, want %v", err, tt.want)
			}
			if tt.want == nil && got.RefreshToken != p2.RefreshToken {
				t.Fatal("replay returned a different successor")
			}
			if tt.want != nil && !errors.Is(alive(s, p2), token.ErrRevoked) {
				t.Fatal("reuse did not revoke the session's access tokens")
			}
		})
	}
}

func TestExpiryPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []time.Duration // refresh after each wait
		want  error           // of the last refresh
	}{
		{"idle timeout passed", []time.Duration{2 * time.Hour}, authn.ErrSessionExpired},
		{"idle timeout not yet", []time.Duration{59 * time.Minute}, nil},
		{"sliding keeps it alive", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, nil},
		{"absolute lifetime ends it whatever the sliding", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, authn.ErrSessionExpired},
		{"refresh ttl shorter than idle: token expires", []time.Duration{31 * time.Minute}, authn.ErrInvalidRefresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, clk := service(t, func(c *config.Config) {
				c.IdleTimeout, c.SessionLifetime = time.Hour, 3*time.Hour
				if tt.name == "refresh ttl shorter than idle: token expires" {
					c.RefreshTTL = 30 * time.Minute
				}
			})
			p := newUser(t, s, "expiry")
			var err error
			for _, w := range tt.steps {
				clk.Add(w)
				var next authn.TokenPair
				if next, err = s.Refresh(t.Context(), p.RefreshToken, cli); err == nil {
					p = next
				}
			}
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOverflowPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		overflow string
		roles    []string
		limit    int
		byRole   []string
		ended    int // which earlier session (0 = first, 1 = second) must end; -1 none
		want     error
	}{
		{"evict-oldest", nil, 2, nil, 0, nil},
		{"evict-idle", nil, 2, nil, 1, nil},
		{"reject", nil, 2, nil, -1, authn.ErrSessionLimit},
		{"evict-oldest", []string{"admin"}, 0, []string{"admin=2"}, 0, nil},
		{"evict-oldest", []string{"admin", "ops"}, 5, []string{"admin=3", "ops=2"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.overflow, func(t *testing.T) {
			t.Parallel()
			s, clk := service(t, func(c *config.Config) {
				c.MaxSessions, c.SessionOverflow, c.MaxSessionsByRole = tt.limit, tt.overflow, tt.byRole
			})
			first := newUser(t, s, "lim", tt.roles...)
			clk.Add(time.Minute)
			second := login(t, s, "lim", "")
			clk.Add(time.Minute)
			if _, err := s.Refresh(t.Context(), first.RefreshToken, cli); err != nil { // first is now the most recently used
				t.Fatal(err)
			}
			clk.Add(time.Minute)
			_, err := s.Login(t.Context(), authn.LoginInput{Username: "lim", Password: pw, Client: cli})
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("third login: %v, want %v", err, tt.want)
			}
			var le *authn.LimitError
			if tt.want != nil && (!errors.As(err, &le) || len(le.Sessions) != 2 || le.Challenge == "") {
				t.Fatalf("reject without sessions and challenge: %#v", err)
			}
			for i, p := range []authn.TokenPair{first, second} {
				revoked := errors.Is(alive(s, p), token.ErrRevoked)
				if revoked != (i == tt.ended) {
					t.Errorf("session %d revoked=%v, want ended=%d", i, revoked, tt.ended)
				}
			}
		})
	}
}

func TestStepUpBoundary(t *testing.T) {
	t.Parallel()
	s, clk := service(t, nil)
	p := newUser(t, s, "fresh")
	other := login(t, s, "fresh", "")
	clk.Add(10 * time.Minute) // exactly the max age: still fresh
	pr, err := s.Authenticate(p.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(t.Context(), pr, other.SessionID, cli); err != nil {
		t.Fatalf("at max age: %v", err)
	}
	clk.Add(time.Second)
	if err := s.Logout(t.Context(), pr, authn.ScopeGlobal, cli); !errors.Is(err, authn.ErrReauthRequired) {
		t.Fatalf("past max age: %v", err)
	}
	if err := s.Logout(t.Context(), pr, authn.ScopeLocal, cli); err != nil {
		t.Fatalf("local logout never needs step-up: %v", err)
	}
}

func TestDeviceIDs(t *testing.T) {
	t.Parallel()
	s, _ := service(t, nil)
	a := newUser(t, s, "dev1")
	newUser(t, s, "dev2")
	tests := []struct {
		name, user, device string
		keep               bool
	}{
		{"own live device is kept and replaced", "dev1", a.DeviceID, true},
		{"another user's device id is not accepted", "dev2", a.DeviceID, false},
		{"unknown device id gets a new one", "dev1", "AAAAAAAAAAAAAAAAAAAAAA", false},
		{"malformed device id gets a new one", "dev1", "../../etc/passwd", false},
	}
	for _, tt := range tests {
		p := login(t, s, tt.user, tt.device)
		if (p.DeviceID == tt.device) != tt.keep {
			t.Errorf("%s: device %q → %q", tt.name, tt.device, p.DeviceID)
		}
	}
	if err := alive(s, a); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("replaced device session still alive: %v", err)
	}
}

func TestUnknownUserSpendsAHashAndGetsTheSameError(t *testing.T) {
	t.Parallel()
	s, _ := service(t, nil)
	newUser(t, s, "known")
	_, errKnown := s.Login(t.Context(), authn.LoginInput{Username: "known", Password: "wrong password", Client: cli})
	_, errUnknown := s.Login(t.Context(), authn.LoginInput{Username: "unknown", Password: "wrong password", Client: cli})
	if !errors.Is(errKnown, authn.ErrInvalidCredentials) || errKnown.Error() != errUnknown.Error() {
		t.Fatalf("answers differ: %v / %v", errKnown, errUnknown)
	}
}

// TestPasswordHashedBeforeNormalizationStillVerifies: a hash made from the
// bytes as typed (before passwords were normalized) verifies once, and is
// then replaced by a hash of the normal form, so every spelling works.
func TestPasswordHashedBeforeNormalizationStillVerifies(t *testing.T) {
	t.Parallel()
	s, _ := service(t, nil)
	nfc, nfd := "caf\u00e9 cr\u00e8me", "cafe\u0301 cre\u0300me"
	for _, tc := range []struct{ user, typed string }{
		{"olga", nfd},
		{"pavel", "old\tpassword"}, // OpaqueString refuses a tab: verified as typed
	} {
		u, err := s.CreateUser(t.Context(), tc.user, pw, nil)
		if err != nil {
			t.Fatal(err)
		}
		old, err := s.Hasher.Hash(t.Context(), []byte(tc.typed))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Store.SetPasswordHash(t.Context(), u.ID, old, u.CredVersion, u.CreatedAt); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(t.Context(), authn.LoginInput{Username: tc.user, Password: tc.typed, Client: cli}); err != nil {
			t.Fatalf("%s: login with the password as typed: %v", tc.user, err)
		}
	}
	if _, err := s.Login(t.Context(), authn.LoginInput{Username: "olga", Password: nfc, Client: cli}); err != nil {
		t.Fatalf("login with the normal form after the rehash: %v", err)
	}
	u, err := s.UserByName(t.Context(), "olga")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Hasher.Verify(t.Context(), []byte(nfc), u.PasswordHash); !ok || err != nil {
		t.Fatalf("stored hash is not of the normal form: %v %v", ok, err)
	}
}
