package dpop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"hash/maphash"
	"sync"
	"time"
)

// ReplayCache remembers the proofs already used. Use is one atomic
// set-if-absent with a lifetime: it returns true for the first use of
// (jti, jkt) before until, false for every later one, whichever node or
// goroutine asks. An error means it could not tell (the store is down);
// Check then refuses the proof, but not as a proof error.
type ReplayCache interface {
	Use(ctx context.Context, jti, jkt string, until time.Time) (bool, error)
}

// ReplayKey is the fixed-size key a shared replay cache stores for a proof:
// base64url SHA-256 of the key thumbprint and the jti. jti values are chosen
// by clients (up to 256 bytes of any text), so they are hashed rather than
// stored or put into Redis key names as they are; scoping by key keeps one
// client's jti from colliding with another's.
func ReplayKey(jti, jkt string) string {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// DefaultReplayEntries bounds NewMemoryReplay when max < 1: with the 60 s
// window it allows some 17,000 proofs a second per node, at about 100 bytes
// an entry (~100 MiB at worst).
const DefaultReplayEntries = 1 << 20

const replayShards = 32

// MemoryReplay is a bounded in-process ReplayCache: no I/O, so a single
// node pays no store round trip for it. Entries are forgotten once their
// proof's window has passed. When a shard is full of live entries it fails
// closed: Use returns ErrReplayFull instead of forgetting a live entry (which
// would let that proof be replayed). The bound is the number of proofs
// accepted within one window, so it is sized for the peak rate.
type MemoryReplay struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [replayShards]replayShard
}

type replayShard struct {
	mu sync.Mutex
	// m maps a proof's key to its until in Unix nanoseconds: no pointer in
	// keys or values, so the garbage collector never scans the entries.
	m   map[[sha256.Size]byte]int64
	max int
	// next is the earliest until in m: no sweep can free anything before.
	next int64
	// swept is when the shard was last swept for its own upkeep (not
	// because it was full): at most once per sweepEvery.
	swept int64
	_     [32]byte
}

// sweepEvery is how often a shard drops its expired entries as it goes, so
// memory follows the proofs of about one window, not the bound.
const sweepEvery = int64(5 * time.Second)

// NewMemoryReplay returns a MemoryReplay holding at most max entries
// (DefaultReplayEntries when max < 1); now is the clock (nil: time.Now).
func NewMemoryReplay(max int, now func() time.Time) *MemoryReplay {
	if max < 1 {
		max = DefaultReplayEntries
	}
	if now == nil {
		now = time.Now
	}
	r := &MemoryReplay{now: now, seed: maphash.MakeSeed()}
	per := max / replayShards
	if per < 1 {
		per = 1
	}
	for i := range r.shards {
		r.shards[i].m = make(map[[sha256.Size]byte]int64)
		r.shards[i].max = per
	}
	return r
}

// Use is ReplayCache.Use.
func (r *MemoryReplay) Use(_ context.Context, jti, jkt string, until time.Time) (bool, error) {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	sh := &r.shards[maphash.Bytes(r.seed, k[:])%replayShards]
	now, u := r.now().UnixNano(), until.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if t, ok := sh.m[k]; ok && now < t {
		return false, nil
	}
	if len(sh.m) >= sh.max || now-sh.swept >= sweepEvery {
		sh.sweep(now)
		if len(sh.m) >= sh.max {
			return false, ErrReplayFull
		}
	}
	sh.m[k] = u
	if sh.next == 0 || u < sh.next {
		sh.next = u
	}
	return true, nil
}

// sweep drops expired entries, at most once per earliest expiry, so a
// shard full of live entries is not scanned on every refused Use.
func (sh *replayShard) sweep(now int64) {
	sh.swept = now
	if now < sh.next {
		return
	}
	var next int64
	for k, t := range sh.m {
		if now >= t {
			delete(sh.m, k)
		} else if next == 0 || t < next {
			next = t
		}
	}
	sh.next = next
}

// Len counts the entries (tests, metrics).
func (r *MemoryReplay) Len() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
