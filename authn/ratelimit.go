package authn

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Attempts are limited by failures (OWASP): before the password work, one
// token is reserved, atomically in the store, from each bucket the attempt
// counts against; a correct password gives them back. Concurrent guesses
// therefore cannot all pass an almost empty bucket, and a user who logs in
// correctly twenty times is never locked out.
//
// Password failures of login, reauth and password change count together,
// per user — except on a device this user has logged in on before (a device
// id bound to the user by the server's MAC, OWASP's "device cookie"), which
// has a bucket of its own, so guessing from elsewhere never locks out a
// known device. Every attempt also counts per client address (IPv6 per
// /64). Signups count per address whether or not they succeed: each one
// costs an argon2 hash.

type bucket struct {
	key       string
	perMinute float64
	burst     int
}

// passwordBuckets are the buckets a password check for username (userID
// when the account exists) from device and ip counts against.
func (s *Service) passwordBuckets(username, userID, device, ip string) []bucket {
	r := s.Policy.Rates
	var out []bucket
	if r.UserBurst > 0 {
		switch {
		case userID != "" && s.knownDevice(userID, device):
			out = append(out, bucket{"pw:d:" + userID + ":" + device, r.UserPerMinute, r.UserBurst})
		case username != "":
			out = append(out, bucket{"pw:u:" + store.NormalizeUsername(username), r.UserPerMinute, r.UserBurst})
		}
	}
	return append(out, s.ipBuckets("pw", ip)...)
}

// ipBuckets is the per-address bucket of action.
func (s *Service) ipBuckets(action, ip string) []bucket {
	r := s.Policy.Rates
	if r.IPBurst <= 0 || ip == "" {
		return nil
	}
	return []bucket{{action + ":ip:" + addressKey(ip), r.IPPerMinute, r.IPBurst}}
}

// addressKey is the unit a client address is limited by: the address for
// IPv4, its /64 for IPv6 (one subscriber holds a whole /64, so per /128 an
// attacker has 2^64 buckets).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// reserve takes one token from each bucket before the work. If any is
// empty, the tokens already taken are given back and the answer is
// ErrRateLimited with the wait. release(true) gives every token back (the
// attempt did not count); release(false), or never calling it, keeps them
// spent. Only the first call of release acts.
func (s *Service) reserve(ctx context.Context, bs []bucket) (release func(refund bool), err error) {
	now := s.Now()
	for i, b := range bs {
		ok, wait, err := s.Store.Take(ctx, b.key, b.perMinute/60, b.burst, now)
		if err != nil || !ok {
			s.refund(ctx, bs[:i], now)
			if err != nil {
				return nil, storeErr(err)
			}
			return nil, &RetryError{Err: ErrRateLimited, After: max(wait, time.Second)}
		}
	}
	done := false
	return func(refund bool) {
		if done {
			return
		}
		done = true
		if refund {
			s.refund(ctx, bs, now)
		}
	}, nil
}

// refund gives back one token of each bucket. A store failure is logged,
// not returned: the caller's answer does not depend on it, and the cost of
// a lost refund is one token that refills anyway.
func (s *Service) refund(ctx context.Context, bs []bucket, now time.Time) {
	for _, b := range bs {
		if err := s.Store.Refund(context.WithoutCancel(ctx), b.key, b.perMinute/60, b.burst, now); err != nil {
			s.Log.Warn("rate limit not refunded", "bucket", b.key, "err", err)
		}
	}
}

// AdminGuard limits failed admin-token attempts per client address. The
// admin token is at least 32 bytes, so this is defence in depth, not what
// makes guessing hopeless; introspection calls it on every request, so a
// correct token costs no store I/O: failures are charged in the store, and
// an address found over the limit is remembered in memory until its bucket
// refills.
type AdminGuard struct {
	svc     *Service
	mu      sync.Mutex
	blocked map[string]time.Time // address key → until
}

// maxBlocked bounds the memory of blocked addresses; past it expired
// entries are dropped first, then the whole map (the store still limits).
const maxBlocked = 10000

// Admin returns the service's admin-token guard.
func (s *Service) Admin() *AdminGuard { return s.admin }

// Blocked reports ErrRateLimited if ip is known to be over the limit.
func (g *AdminGuard) Blocked(ip string) error {
	now := g.svc.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.blocked[addressKey(ip)]; ok && now.Before(until) {
		return &RetryError{Err: ErrRateLimited, After: max(until.Sub(now), time.Second)}
	}
	return nil
}

// Failed charges a wrong admin token to ip; past the limit it answers
// ErrRateLimited (and remembers the address until the bucket refills).
func (g *AdminGuard) Failed(ctx context.Context, ip string) error {
	now := g.svc.Now()
	for _, b := range g.svc.ipBuckets("admin", ip) {
		ok, wait, err := g.svc.Store.Take(ctx, b.key, b.perMinute/60, b.burst, now)
		if err != nil {
			return storeErr(err)
		}
		if !ok {
			wait = max(wait, time.Second)
			g.mu.Lock()
			if len(g.blocked) >= maxBlocked {
				for k, until := range g.blocked {
					if !now.Before(until) {
						delete(g.blocked, k)
					}
				}
				if len(g.blocked) >= maxBlocked {
					clear(g.blocked)
				}
			}
			g.blocked[addressKey(ip)] = now.Add(wait)
			g.mu.Unlock()
			return &RetryError{Err: ErrRateLimited, After: wait}
		}
	}
	return nil
}
