package authn

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// Attempts are limited by failures (OWASP): a bucket per username and one
// per client IP are checked before the password work and charged only when
// the attempt fails. A user who logs in correctly twenty times is never
// locked out; a guesser is stopped after the burst, whichever names or
// addresses they use.

// allow reports ErrRateLimited (with the wait) when either bucket of action
// is empty. It writes nothing.
func (s *Service) allow(ctx context.Context, action, subject, ip string) error {
	for _, b := range s.buckets(action, subject, ip) {
		ok, wait, err := s.Store.Peek(ctx, b.key, b.perMinute/60, b.burst, s.Now())
		if err != nil {
			return storeErr(err)
		}
		if !ok {
			return &RetryError{Err: ErrRateLimited, After: max(wait, time.Second)}
		}
	}
	return nil
}

// charge takes one token from each bucket of action after a failed
// attempt. A store failure here is logged, not returned: the attempt has
// already failed for its own reason.
func (s *Service) charge(ctx context.Context, action, subject, ip string) {
	for _, b := range s.buckets(action, subject, ip) {
		if _, _, err := s.Store.Take(ctx, b.key, b.perMinute/60, b.burst, s.Now()); err != nil {
			s.Log.Warn("rate limit not charged", "action", action, "err", err)
		}
	}
}

// chargeIf charges the buckets when err is one of the failures that count.
func (s *Service) chargeIf(ctx context.Context, err error, action, subject, ip string, counted ...error) {
	for _, c := range counted {
		if errors.Is(err, c) {
			s.charge(ctx, action, subject, ip)
			return
		}
	}
}

type bucket struct {
	key       string
	perMinute float64
	burst     int
}

func (s *Service) buckets(action, subject, ip string) []bucket {
	r := s.Policy.Rates
	var out []bucket
	if r.UserBurst > 0 && subject != "" {
		out = append(out, bucket{action + ":u:" + store.NormalizeUsername(subject), r.UserPerMinute, r.UserBurst})
	}
	if r.IPBurst > 0 && ip != "" {
		out = append(out, bucket{action + ":ip:" + ip, r.IPPerMinute, r.IPBurst})
	}
	return out
}
