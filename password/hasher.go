package password

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"sync/atomic"
)

// ErrBusy is returned when every slot is taken and the wait queue is full.
// It is a load-shedding signal (HTTP 503 with Retry-After), not a failure of
// the credentials.
var ErrBusy = errors.New("password: hasher busy")

// Hasher runs argon2id with fixed Params while bounding its memory: at most
// concurrency computations run at once and at most queue further callers
// wait. Without a bound, N concurrent logins cost N times Params.Memory.
// A Hasher is safe for concurrent use; create it with NewHasher.
type Hasher struct {
	params Params
	dummy  string // hash of a random secret with params, for VerifyDummy

	slots    chan struct{} // buffered to concurrency; a send acquires a slot
	limit    int64         // concurrency + queue: the most callers admitted at once
	admitted atomic.Int64  // callers waiting or holding a slot
	waiting  atomic.Int64  // callers blocked for a slot
	inFlight atomic.Int64  // callers computing argon2

	// Test hooks, nil in production. onWait runs after a caller is counted
	// as waiting and before it blocks; onSlot runs while a slot is held,
	// before the computation. They let tests hold and observe states
	// deterministically instead of sleeping.
	onWait func()
	onSlot func()
}

// NewHasher returns a Hasher for p. concurrency <= 0 means runtime.NumCPU();
// queue < 0 means 0. It returns an error wrapping ErrInvalidParams if p fails
// Validate, so a server refuses to start with parameters it cannot use
// instead of panicking inside argon2.
//
// NewHasher computes one hash with p (the VerifyDummy target), so it takes as
// long as a login.
func NewHasher(p Params, concurrency, queue int) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	dummy, err := dummyHash(p)
	if err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	queue = max(queue, 0)
	return &Hasher{
		params: p,
		dummy:  dummy,
		slots:  make(chan struct{}, concurrency),
		limit:  int64(concurrency) + int64(queue),
	}, nil
}

// dummyHash hashes a random, discarded secret, so no password can match it.
func dummyHash(p Params) (string, error) {
	return Hash([]byte(rand.Text()), p)
}

// Hash is the package-level Hash with the Hasher's params, run within the
// bounds. It returns ErrBusy or ctx.Err() without hashing if no slot could be
// had. Once started, a computation runs to completion regardless of ctx.
func (h *Hasher) Hash(ctx context.Context, pw []byte) (string, error) {
	var s string
	var err error
	if rerr := h.run(ctx, func() { s, err = Hash(pw, h.params) }); rerr != nil {
		return "", rerr
	}
	return s, err
}

// Verify is the package-level Verify run within the bounds. The stored string
// is parsed before a slot is taken, so a malformed one returns
// (false, ErrMalformedHash) without spending any argon2 work.
func (h *Hasher) Verify(ctx context.Context, pw []byte, stored string) (bool, error) {
	parsed, err := parsePHC(stored)
	if err != nil {
		return false, err
	}
	var ok bool
	if err := h.run(ctx, func() { ok = parsed.matches(pw) }); err != nil {
		return false, err
	}
	return ok, nil
}

// VerifyDummy does what Verify does, with the same params and through the same
// bounds, against a hash no password matches. Call it when the username is
// unknown, so the response time does not reveal which usernames exist. It
// returns only slot errors (ErrBusy, ctx.Err()); the answer is always "no".
func (h *Hasher) VerifyDummy(ctx context.Context, pw []byte) error {
	_, err := h.Verify(ctx, pw, h.dummy)
	return err
}

// NeedsRehash reports whether stored was made with params other than the
// Hasher's; see the package-level NeedsRehash.
func (h *Hasher) NeedsRehash(stored string) bool {
	return NeedsRehash(stored, h.params)
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// QueueDepth returns the number of callers currently waiting for a slot.
func (h *Hasher) QueueDepth() int { return int(h.waiting.Load()) }

// InFlight returns the number of argon2 computations running now.
func (h *Hasher) InFlight() int { return int(h.inFlight.Load()) }

// run executes f while holding a slot.
func (h *Hasher) run(ctx context.Context, f func()) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	if h.onSlot != nil {
		h.onSlot()
	}
	f()
	return nil
}

// acquire admits the caller, then takes a slot, waiting if need be. Admission
// is counted before waiting so that the queue bound holds even when many
// callers arrive at once. On success the caller must call release.
func (h *Hasher) acquire(ctx context.Context) error {
	// A caller that has already given up should not consume a slot.
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.admitted.Add(1) > h.limit {
		h.admitted.Add(-1)
		return ErrBusy
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if err := h.wait(ctx); err != nil {
		h.admitted.Add(-1)
		return err
	}
	return nil
}

// wait blocks for a slot, counted in QueueDepth, until ctx is done.
func (h *Hasher) wait(ctx context.Context) error {
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	if h.onWait != nil {
		h.onWait()
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees the slot before leaving admission. In the other order a
// newcomer could be admitted while the departing caller still holds its slot,
// and the wait queue would briefly exceed its bound.
func (h *Hasher) release() {
	<-h.slots
	h.admitted.Add(-1)
}
