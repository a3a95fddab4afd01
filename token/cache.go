package token

import (
	"hash/maphash"
	"strings"
	"sync"
)

// DefaultCacheSize is the verified-token cache's bound when
// Options.CacheSize is 0. An entry costs about twice the token's length (the
// token and its decoded segments), so 64k entries of Gatehouse's tokens
// (under 1 KiB) stay under ~100 MiB at worst and usually hold every token
// live at once.
const DefaultCacheSize = 1 << 16

// maxCacheShards splits the cache so concurrent verifiers rarely share a
// lock.
const maxCacheShards = 64

// verified is what a successful verification leaves in the cache: the
// claims and which of them were present (the time rules are applied again
// on every hit, exactly as on the uncached path), and the key that checked
// the signature. A hit is served only while the key source still returns
// that very key for kid, so a removed or replaced key ends its tokens' hits
// at once, whatever kind of KeySource it is.
type verified struct {
	claims Claims
	seen   uint16
	kid    string
	key    *Key
}

// cache maps whole token strings (the exact bytes, never normalised) to
// their verification. Eviction is random: when a shard is full, the entry
// Go's randomised map iteration yields first makes room, which costs O(1)
// and keeps no per-hit bookkeeping (a hit takes a read lock only).
type cache struct {
	seed     maphash.Seed
	mask     uint64
	perShard int
	shards   []cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*verified
	_  [40]byte // keep shards on separate cache lines
}

// newCache returns a cache of at most size entries, nil if size < 1.
func newCache(size int) *cache {
	if size < 1 {
		return nil
	}
	n := 1
	for n*2 <= min(size, maxCacheShards) {
		n *= 2
	}
	c := &cache{seed: maphash.MakeSeed(), mask: uint64(n - 1), perShard: size / n, shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*verified)
	}
	return c
}

func (c *cache) shard(tok string) *cacheShard {
	return &c.shards[maphash.String(c.seed, tok)&c.mask]
}

func (c *cache) get(tok string) *verified {
	sh := c.shard(tok)
	sh.mu.RLock()
	e := sh.m[tok]
	sh.mu.RUnlock()
	return e
}

// put stores a copy of tok: the caller's string may be a slice of a much
// larger one (an Authorization header padded with spaces), which the cache
// must not keep alive.
func (c *cache) put(tok string, e *verified) {
	tok = strings.Clone(tok)
	sh := c.shard(tok)
	sh.mu.Lock()
	if _, ok := sh.m[tok]; !ok && len(sh.m) >= c.perShard {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[tok] = e
	sh.mu.Unlock()
}

func (c *cache) remove(tok string) {
	sh := c.shard(tok)
	sh.mu.Lock()
	delete(sh.m, tok)
	sh.mu.Unlock()
}

// len counts the entries (tests, metrics).
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
