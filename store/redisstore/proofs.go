package redisstore

import (
	"context"
	"time"

	"github.com/redis/rueidis"
)

// UseProof implements store.ProofReplay with one SET NX PX: the key (a
// hash, dpop.ReplayKey) is its own hash tag, so proofs spread over every
// slot of a Cluster, and Redis expires it when its window has passed.
func (s *Store) UseProof(ctx context.Context, key string, until, now time.Time) (bool, error) {
	ttl := until.Sub(now).Milliseconds() + 1
	if ttl < 1 {
		ttl = 1
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	err := s.c.Do(ctx, s.c.B().Set().Key(s.p+"dpop:{"+key+"}").Value("1").Nx().PxMilliseconds(ttl).Build()).Error()
	switch {
	case err == nil:
		return true, nil
	case rueidis.IsRedisNil(err):
		return false, nil
	}
	return false, wrap("use proof", err)
}
