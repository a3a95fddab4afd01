package password

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters. They are recorded in every PHC
// string, so changing them affects new hashes only; see NeedsRehash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes (parallelism)
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Bounds accepted both for new hashes and for stored PHC strings. The upper
// bounds exist because stored hashes are data: a corrupted or planted row with
// m=2^32-1 would otherwise make a single login allocate 4 TiB.
const (
	maxMemory = 1 << 22 // KiB, i.e. 4 GiB
	maxTime   = 100
	minBytes  = 8 // salt and key length; RFC 9106 recommends 16, 8 is the floor
	maxBytes  = 1024
)

// ErrInvalidParams reports Params that Hash refuses to use.
var ErrInvalidParams = errors.New("password: invalid params")

// DefaultParams returns the OWASP Password Storage Cheat Sheet's argon2id
// baseline: 19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Validate reports whether p can be used by Hash and NewHasher. The error
// wraps ErrInvalidParams.
func (p Params) Validate() error {
	if err := checkParams(p); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	return nil
}

// checkParams returns an unwrapped description of what is wrong with p, so
// that callers can attach the sentinel that fits their context (bad config
// versus bad stored data).
func checkParams(p Params) error {
	switch {
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d outside [1, %d]", p.Time, maxTime)
	// argon2 needs 8 KiB per lane; x/crypto would silently round up, which
	// would make the recorded m differ from the work actually done.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB outside [%d, %d]", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < minBytes || p.SaltLen > maxBytes:
		return fmt.Errorf("salt length %d outside [%d, %d]", p.SaltLen, minBytes, maxBytes)
	case p.KeyLen < minBytes || p.KeyLen > maxBytes:
		return fmt.Errorf("key length %d outside [%d, %d]", p.KeyLen, minBytes, maxBytes)
	}
	return nil
}
