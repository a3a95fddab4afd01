package redisstore

// UserKey and LogKeys expose the key names to the external tests.
func UserKey(s *Store, uid string) string { return s.userKey(uid) }
func LogKeys(s *Store) []string           { return s.logKeys() }

// SetAfterAppend sets the hook run between a revocation's append and the
// script that ends its session.
func SetAfterAppend(s *Store, fn func() error) { s.afterAppend = fn }

// EpochKeys are the epoch's main key and, on a Cluster, its copies.
func EpochKeys(s *Store) []string { return append([]string{s.epochKey()}, s.epochBlockKeys()...) }

// EpochBlocks and EpochBlockSlots are the copies' layout.
const EpochBlocks, EpochBlockSlots = epochBlocks, epochBlockSlots
