package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/password"
)

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.IssuerOrDefault() != "http://127.0.0.1:8080" {
		t.Fatal(c.IssuerOrDefault())
	}
}

func TestPrecedenceFlagOverEnvOverFileOverDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "g.yaml")
	yaml := "access-ttl: 60s\nrefresh-ttl: 2h\naudience: from-file\nallowed-origins:\n  - https://a.example\n  - https://b.example\nmax-sessions: 3\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GATEHOUSE_REFRESH_TTL=3h", "GATEHOUSE_AUDIENCE=from-env", "PATH=/bin"}
	args := []string{"--config", file, "--audience", "from-flag", "--refresh-reuse-grace=0s", "rest"}
	c, rest, err := Load("serve", args, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessTTL != time.Minute || c.RefreshTTL != 3*time.Hour || c.Audience != "from-flag" || c.RefreshReuseGrace != 0 || c.MaxSessions != 3 {
		t.Fatalf("got %+v", c)
	}
	if strings.Join(c.AllowedOrigins, " ") != "https://a.example https://b.example" {
		t.Fatalf("origins %v", c.AllowedOrigins)
	}
	if len(rest) != 1 || rest[0] != "rest" {
		t.Fatalf("rest %v", rest)
	}
}

func TestListFromHigherSourceReplacesLower(t *testing.T) {
	t.Parallel()
	env := []string{"GATEHOUSE_PROXY=/a/=http://127.0.0.1:1/"}
	c, _, err := Load("serve", []string{"--proxy", "/b/=http://127.0.0.1:2/", "--proxy", "/c/=http://127.0.0.1:3/"}, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Proxy) != 2 || c.Proxy[0] != "/b/=http://127.0.0.1:2/" {
		t.Fatalf("proxy %v", c.Proxy)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	args := []string{"--access-ttl=0s", "--signing-alg=none", "--session-overflow=random", "--max-sessions=-1", "--idle-timeout=-5s"}
	_, _, err := Load("serve", args, nil, io.Discard, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"--access-ttl", "--signing-alg", "--session-overflow", "--max-sessions", "--idle-timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestBadValuesFromEveryLayerAreReported(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "g.yaml")
	os.WriteFile(file, []byte("nonsense-key: 1\n"), 0o600)
	_, _, err := Load("serve", []string{"--config", file, "--max-sessions=lots"}, []string{"GATEHOUSE_ACCESS_TTL=forever"}, io.Discard, nil)
	for _, want := range []string{"nonsense-key", "max-sessions", "access-ttl"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestSecondsAndGoDurations(t *testing.T) {
	t.Parallel()
	c, _, err := Load("serve", []string{"--access-ttl=5", "--refresh-ttl=90s"}, nil, io.Discard, nil)
	if err != nil || c.AccessTTL != 5*time.Second || c.RefreshTTL != 90*time.Second {
		t.Fatal(c.AccessTTL, c.RefreshTTL, err)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	_, _, err := Load("serve", []string{"--help"}, nil, &b, nil)
	if !errors.Is(err, ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"--access-ttl", "GATEHOUSE_ACCESS_TTL", "default 15m0s", "--config"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	if EnvName("refresh-reuse-grace") != "GATEHOUSE_REFRESH_REUSE_GRACE" {
		t.Fatal(EnvName("refresh-reuse-grace"))
	}
}

// TestArgon2CombinationsMatchThePasswordPackage: Validate accepts exactly the
// argon2 settings the password package can use, so a bad combination is a
// configuration error (exit 2) and never a panic at start. It used to accept
// --argon2-threads 4 --argon2-memory 16, which argon2 cannot run (8 KiB per
// lane).
func TestArgon2CombinationsMatchThePasswordPackage(t *testing.T) {
	t.Parallel()
	for _, mem := range []int{-1, 0, 7, 8, 15, 16, 31, 32, 64, 2040, 2047, 2048, 4 << 20, 4<<20 + 1} {
		for _, threads := range []int{-1, 0, 1, 2, 4, 255, 256} {
			for _, tm := range []int{0, 1, 100, 101} {
				c := Defaults()
				c.Argon2Memory, c.Argon2Threads, c.Argon2Time = mem, threads, tm
				cfgErr := c.Validate()
				p := password.Params{Memory: uint32(max(mem, 0)), Time: uint32(max(tm, 0)), Threads: uint8(max(threads, 0)), SaltLen: 16, KeyLen: 32}
				pwOK := mem >= 0 && threads >= 0 && threads <= 255 && tm >= 0 && p.Validate() == nil
				if (cfgErr == nil) != pwOK {
					t.Errorf("m=%d p=%d t=%d: config.Validate = %v, password accepts: %v", mem, threads, tm, cfgErr, pwOK)
				}
			}
		}
	}
	c := Defaults()
	c.Argon2Memory, c.Argon2Threads = 16, 4
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--argon2-memory: must be at least 8 KiB per thread (32 KiB with --argon2-threads 4), got 16") {
		t.Fatalf("m=16 p=4: %v", err)
	}
}

func TestAdminTokenLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"unset disables the admin API", "", true},
		{"short", "short-token", false},
		{"31 bytes", strings.Repeat("a", 31), false},
		{"32 bytes", strings.Repeat("a", 32), true},
		{"base64 of 32 random bytes", "q3Jq0V5mJ2mX1b0Yb9H0m3Tq2cC8kR6mJ2mX1b0Yb9E=", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Defaults()
			c.AdminToken = tc.token
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "--admin-token: must be at least 32 bytes") {
				t.Fatalf("unclear message: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), tc.token) {
				t.Fatalf("the message repeats the secret: %v", err)
			}
		})
	}
}

// TestFeedTokenLength: --feed-token is held to the admin token's length
// rule; the message never repeats the secret.
func TestFeedTokenLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{"", true},
		{"short-feed", false},
		{strings.Repeat("f", 31), false},
		{strings.Repeat("f", 32), true},
	} {
		c := Defaults()
		c.FeedToken = tc.token
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Fatalf("%q: Validate = %v, want ok %v", tc.token, err, tc.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "--feed-token: must be at least 32 bytes") || strings.Contains(err.Error(), tc.token)) {
			t.Fatalf("message: %v", err)
		}
	}
}
