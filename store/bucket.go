package store

import (
	"math"
	"time"
)

// TokenBucket is a rate-limit bucket's state at a time: the arithmetic
// every backend applies inside its atomic Take and Refund (the Redis
// backend's Lua scripts mirror it), written once here.
type TokenBucket struct {
	Tokens float64
	At     time.Time
}

// FullBucket is the state of a bucket never written: full at now.
func FullBucket(b Bucket, now time.Time) TokenBucket {
	return TokenBucket{Tokens: float64(b.Burst), At: now}
}

// Refill adds what b's rate has refilled since t.At, up to the burst (time
// never runs backwards for a bucket).
func (t TokenBucket) Refill(b Bucket, now time.Time) TokenBucket {
	if now.After(t.At) {
		t.Tokens = math.Min(float64(b.Burst), t.Tokens+now.Sub(t.At).Seconds()*b.Rate)
		t.At = now
	}
	return t
}

// Take refills t by now, then takes one token if there is one. It returns
// the new state, whether a token was taken and, if not, the wait until
// one is available.
func (t TokenBucket) Take(b Bucket, now time.Time) (TokenBucket, bool, time.Duration) {
	t = t.Refill(b, now)
	if t.Tokens >= 1 {
		t.Tokens--
		return t, true, 0
	}
	if b.Rate <= 0 {
		return t, false, time.Duration(math.MaxInt64)
	}
	return t, false, time.Duration(math.Ceil((1 - t.Tokens) / b.Rate * float64(time.Second)))
}

// Refund refills t by now and puts one token back, never above the burst.
// full reports whether the bucket is then full (equal to a missing one).
func (t TokenBucket) Refund(b Bucket, now time.Time) (next TokenBucket, full bool) {
	t = t.Refill(b, now)
	t.Tokens = math.Min(float64(b.Burst), t.Tokens+1)
	return t, t.Tokens >= float64(b.Burst)
}

// FullAt is when t is full again (a full bucket equals a missing one, so a
// backend may drop it then).
func (t TokenBucket) FullAt(b Bucket) time.Time {
	if b.Rate <= 0 {
		return time.Unix(math.MaxInt32, 0) // far future, and still representable in micro
	}
	return t.At.Add(time.Duration(math.Ceil((float64(b.Burst) - t.Tokens) / b.Rate * float64(time.Second))))
}
