package redisstore

import (
	"context"

	"github.com/redis/rueidis"
)

// DeletePrefix deletes every key under s's prefix (SCAN + DEL): for tests
// that share one Redis, each under its own prefix.
func DeletePrefix(ctx context.Context, s *Store) error {
	return s.scan(ctx, "*", func(keys []string) error {
		cmds := make(rueidis.Commands, len(keys))
		for i, k := range keys { // one DEL per key: a Cluster refuses a DEL across slots
			cmds[i] = s.c.B().Del().Key(k).Build()
		}
		for _, r := range s.c.DoMulti(ctx, cmds...) {
			if err := r.Error(); err != nil {
				return err
			}
		}
		return nil
	})
}
