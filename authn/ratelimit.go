package authn

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// limit takes one attempt from the per-username and per-IP buckets of
// action. Over either: a RetryError wrapping ErrRateLimited.
func (s *Service) limit(ctx context.Context, action, username, ip string) error {
	r := s.Policy.Rates
	now := s.Now()
	if r.UserBurst > 0 && username != "" {
		if err := s.take(ctx, action+":u:"+store.NormalizeUsername(username), r.UserPerMinute, r.UserBurst, now); err != nil {
			return err
		}
	}
	if r.IPBurst > 0 && ip != "" {
		if err := s.take(ctx, action+":ip:"+ip, r.IPPerMinute, r.IPBurst, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) take(ctx context.Context, key string, perMinute float64, burst int, now time.Time) error {
	ok, wait, err := s.Store.Take(ctx, key, perMinute/60, burst, now)
	if err != nil {
		return storeErr(err)
	}
	if !ok {
		if wait < time.Second {
			wait = time.Second
		}
		return &RetryError{Err: ErrRateLimited, After: wait}
	}
	return nil
}
