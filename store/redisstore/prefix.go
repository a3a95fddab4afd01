package redisstore

import "context"

// DeletePrefix deletes every key under s's prefix (SCAN + DEL): for tests
// that share one Redis, each under its own prefix.
func DeletePrefix(ctx context.Context, s *Store) error {
	return s.scan(ctx, "*", func(keys []string) error {
		return s.c.Do(ctx, s.c.B().Del().Key(keys...).Build()).Error()
	})
}
