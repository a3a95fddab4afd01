package testenv

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// Clock is a settable clock; pass its Now as the injected clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Config is the default configuration on a fresh temp dir, with the
// cheapest argon2id cost so tests hash in microseconds.
func Config(t testing.TB) config.Config {
	c := config.Defaults()
	c.DataDir = t.TempDir()
	c.Argon2Memory, c.Argon2Time = 64, 1
	return c
}
