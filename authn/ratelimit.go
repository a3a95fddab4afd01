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

// perMinute turns the operator's "N a minute" into a store.Bucket.
func perMinute(key string, n float64, burst int) store.Bucket {
	return store.Bucket{Key: key, Rate: n / 60, Burst: burst}
}

// passwordBuckets are the buckets a password check for username (userID
// when the account exists) from device and ip counts against.
func (s *Service) passwordBuckets(username, userID, device, ip string) []store.Bucket {
	r := s.Policy.Rates
	var out []store.Bucket
	if r.UserBurst > 0 {
		switch {
		case userID != "" && s.knownDevice(userID, device):
			out = append(out, perMinute("pw:d:"+userID+":"+device, r.UserPerMinute, r.UserBurst))
		case username != "":
			out = append(out, perMinute("pw:u:"+store.NormalizeUsername(username), r.UserPerMinute, r.UserBurst))
		}
	}
	return append(out, s.ipBuckets("pw", ip)...)
}

// ipBuckets is the per-address bucket of action.
func (s *Service) ipBuckets(action, ip string) []store.Bucket {
	r := s.Policy.Rates
	if r.IPBurst <= 0 || ip == "" {
		return nil
	}
	return []store.Bucket{perMinute(action+":ip:"+addressKey(ip), r.IPPerMinute, r.IPBurst)}
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

// reserve takes one token from each bucket before the work, in one atomic
// store operation; if any is empty nothing is taken and the answer is
// ErrRateLimited with the wait. release(true) gives every token back (the
// attempt did not count); release(false), or never calling it, keeps them
// spent. Only the first call of release acts.
func (s *Service) reserve(ctx context.Context, bs []store.Bucket) (release func(refund bool), err error) {
	now := s.Now()
	ok, wait, err := s.Store.Take(ctx, bs, now)
	if err != nil {
		return nil, storeErr(err)
	}
	if !ok {
		return nil, &RetryError{Err: ErrRateLimited, After: max(wait, time.Second)}
	}
	done := false
	return func(refund bool) {
		if done || !refund {
			done = true
			return
		}
		done = true
		// A lost refund costs one token that refills anyway: logged, not
		// returned, since the caller's answer does not depend on it.
		if err := s.Store.Refund(context.WithoutCancel(ctx), bs, now); err != nil {
			s.Log.Warn("rate limit not refunded", "err", err)
		}
	}, nil
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
	if bs := g.svc.ipBuckets("admin", ip); len(bs) > 0 {
		ok, wait, err := g.svc.Store.Take(ctx, bs, now)
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
