package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// Config is the key schedule.
type Config struct {
	// Alg is the signing algorithm wanted. Keys of other algorithms still
	// verify until their tokens are dead, then are deleted.
	Alg string
	// TokenLifetime is the access-token TTL plus leeway: how long a key
	// that stopped signing stays published.
	TokenLifetime time.Duration
	// CacheLifetime is the JWKS max-age: an automatically rotated key is
	// published at least this long before it signs, so every verifier's
	// cached JWKS has it by then.
	CacheLifetime time.Duration
	// RotateEvery is the automatic rotation period; 0 turns it off.
	RotateEvery time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives reload errors from Run; nil means slog.Default().
	Logger *slog.Logger
}

// Manager keeps the current Ring, rebuilt from the store by Reload. Lookup
// and Ring are lock-free; Reload and Rotate are serialised.
type Manager struct {
	st   store.Keys
	c    Config
	mu   sync.Mutex // serialises Reload and Rotate, never held by readers
	ring atomic.Pointer[Ring]
}

var errConfig = errors.New("keys: invalid config")

// NewManager returns a Manager with an empty ring; call Init before use.
func NewManager(st store.Keys, c Config) *Manager {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	m := &Manager{st: st, c: c}
	m.ring.Store(newRing(plan{}, c.Now))
	return m
}

// Init validates the config and loads the keys; if no key of the configured
// algorithm can sign, it generates and stores one that signs at once.
func (m *Manager) Init(ctx context.Context) error {
	switch {
	case token.MethodFor(m.c.Alg) == nil:
		return fmt.Errorf("%w: algorithm %q", errConfig, m.c.Alg)
	case m.c.TokenLifetime <= 0:
		return fmt.Errorf("%w: TokenLifetime must be positive", errConfig)
	case m.c.CacheLifetime < 0 || m.c.RotateEvery < 0:
		return fmt.Errorf("%w: negative CacheLifetime or RotateEvery", errConfig)
	}
	return m.Reload(ctx)
}

// Ring returns the current snapshot.
func (m *Manager) Ring() *Ring { return m.ring.Load() }

// Lookup implements token.KeySource on the current ring.
func (m *Manager) Lookup(kid string) (*token.Key, bool) { return m.ring.Load().Lookup(kid) }

// Rotate stores a new key of the configured algorithm that starts signing
// at now+prepublish (0: at once) and reloads. Until then it is published
// only; other nodes learn of it at their next Reload, so prepublish should
// exceed the reload interval (and the JWKS max-age, for outside verifiers).
// The returned key has no Private material; it is returned even when the
// key was stored but the reload that follows failed.
func (m *Manager) Rotate(ctx context.Context, prepublish time.Duration) (store.Key, error) {
	m.mu.Lock()
	now := m.c.Now()
	e, err := m.add(ctx, now, now.Add(max(prepublish, 0)))
	m.mu.Unlock()
	if err != nil {
		return store.Key{}, err
	}
	return e.meta, m.Reload(ctx)
}

// Reload re-reads the store, applies the schedule (signer, retirement,
// deletion, automatic rotation) and swaps in a new ring. When the store
// cannot be read, or no signer can be created, the current ring stays.
// Failures to rotate, retire or delete are returned, but the new ring is
// installed anyway: the schedule, not the store's bookkeeping, decides what
// is published, and the next Reload retries the writes.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.c.Now()
	es, err := m.list(ctx)
	if err != nil {
		return err
	}
	p := schedule(es, m.c.Alg, now, m.c.TokenLifetime)
	if p.signer == nil {
		if es, err = m.addTo(ctx, es, now, now); err != nil {
			return err
		}
		p = schedule(es, m.c.Alg, now, m.c.TokenLifetime)
	}
	if signFrom, due := rotationDue(p, m.c, now); due {
		if es, err = m.addTo(ctx, es, now, signFrom); err == nil {
			p = schedule(es, m.c.Alg, now, m.c.TokenLifetime)
		}
	}
	err = errors.Join(err, m.apply(ctx, p))
	m.ring.Store(newRing(p, m.c.Now))
	return err
}

// list loads every stored key. A key that cannot be loaded is logged and
// left alone: never delete what is not understood, never publish it.
func (m *Manager) list(ctx context.Context) ([]*entry, error) {
	sks, err := m.st.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	es := make([]*entry, 0, len(sks))
	for _, sk := range sks {
		k, err := Load(sk)
		if err != nil {
			m.c.Logger.Error("keys: skipping unusable key", "kid", sk.ID, "alg", sk.Alg, "err", err)
			continue
		}
		sk.Private = nil
		es = append(es, &entry{meta: sk, key: k})
	}
	return es, nil
}

// addTo adds a new key (see add) to es.
func (m *Manager) addTo(ctx context.Context, es []*entry, now, signFrom time.Time) ([]*entry, error) {
	e, err := m.add(ctx, now, signFrom)
	if err != nil {
		return es, err
	}
	return append(es, e), nil
}

// add generates a key of the configured algorithm that signs from
// signFrom, and stores it.
func (m *Manager) add(ctx context.Context, now, signFrom time.Time) (*entry, error) {
	sk, err := Generate(m.c.Alg, now)
	if err != nil {
		return nil, err
	}
	sk.SignFrom = signFrom
	k, err := Load(sk)
	if err != nil {
		return nil, err
	}
	if err := m.st.AddKey(ctx, sk); err != nil {
		return nil, fmt.Errorf("keys: add: %w", err)
	}
	m.c.Logger.Info("keys: new signing key", "kid", sk.ID, "alg", sk.Alg, "sign_from", signFrom)
	sk.Private = nil
	return &entry{meta: sk, key: k}, nil
}

// apply records retirements and deletions in the store. Both are
// idempotent, so nodes doing the same at once is harmless; a key another
// node deleted first is not an error.
func (m *Manager) apply(ctx context.Context, p plan) error {
	var errs []error
	for _, e := range p.retire {
		if err := m.st.RetireKey(ctx, e.meta.ID, e.stop); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("keys: retire %s: %w", e.meta.ID, err))
		}
	}
	for _, e := range p.remove {
		if err := m.st.DeleteKey(ctx, e.meta.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("keys: delete %s: %w", e.meta.ID, err))
			continue
		}
		m.c.Logger.Info("keys: deleted key whose tokens are all dead", "kid", e.meta.ID, "alg", e.meta.Alg)
	}
	return errors.Join(errs...)
}

// Run calls Reload every interval (a minute if every is not positive)
// until ctx is done, logging failures: the ring in use stays valid while
// the store is unreachable.
func (m *Manager) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Reload(ctx); err != nil && ctx.Err() == nil {
				m.c.Logger.Error("keys: reload", "err", err)
			}
		}
	}
}
