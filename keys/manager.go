package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keys/seal"
	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/token"
)

// Role says which writes a Manager may make to the key store. Only the
// server knows the access TTL in force, so only it retires and deletes.
type Role int

const (
	// Scheduler runs the whole schedule: generates, auto-rotates, retires
	// (recording each key's keep-until from its TokenLifetime) and deletes
	// keys whose stored keep-until has passed. The server.
	Scheduler Role = iota
	// Admin may add keys (a first signer, `gatehouse keys rotate`) and seal
	// keys stored in clear, but never retires, deletes or auto-rotates: an
	// admin command's TokenLifetime need not be the server's.
	Admin
	// Reader writes nothing: read-only commands (`keys list`).
	Reader
)

// legacyKeep is how long after RetiredAt a key with no stored KeepUntil (a
// backend without the column) is kept; the SQLite migration 0006 uses it too.
const legacyKeep = 24 * time.Hour

// kindKey is the seal kind of a key's private material; the kid is the name.
const kindKey = "key"

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
	// Role limits what the manager writes; the zero value is Scheduler.
	Role Role
}

// Manager keeps the current Ring, rebuilt from the store by Reload. Lookup
// and Ring are lock-free; Reload and Rotate are serialised.
type Manager struct {
	st   store.Keys
	box  *seal.Box
	c    Config
	mu   sync.Mutex // serialises Reload and Rotate, never held by readers
	ring atomic.Pointer[Ring]
}

var (
	errConfig   = errors.New("keys: invalid config")
	errReadOnly = errors.New("keys: a Reader manager does not write keys")
)

// NewManager returns a Manager with an empty ring; call Init before use.
// Private key material is sealed with box before it reaches st and opened
// when read.
func NewManager(st store.Keys, box *seal.Box, c Config) *Manager {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	m := &Manager{st: st, box: box, c: c}
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
	case m.box == nil:
		return fmt.Errorf("%w: no seal.Box for the private keys", errConfig)
	case m.c.Role < Scheduler || m.c.Role > Reader:
		return fmt.Errorf("%w: role %d", errConfig, m.c.Role)
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
	if m.c.Role == Reader {
		return store.Key{}, errReadOnly
	}
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
// cannot be read, a key does not open under the master key, or no signer
// can be created, the current ring stays. Failures to rotate, retire or
// delete are returned, but the new ring is installed anyway: the schedule,
// not the store's bookkeeping, decides what is published, and the next
// Reload retries the writes. The Role limits which of these writes happen.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.c.Now()
	es, err := m.list(ctx)
	if err != nil {
		return err
	}
	p := schedule(es, m.c.Alg, now, m.c.TokenLifetime)
	if m.c.Role == Reader {
		m.ring.Store(newRing(p, m.c.Now))
		return nil
	}
	if p.signer == nil {
		if es, err = m.addTo(ctx, es, now, now); err != nil {
			return err
		}
		p = schedule(es, m.c.Alg, now, m.c.TokenLifetime)
	}
	if m.c.Role == Scheduler {
		if signFrom, due := rotationDue(p, m.c, now); due {
			if es, err = m.addTo(ctx, es, now, signFrom); err == nil {
				p = schedule(es, m.c.Alg, now, m.c.TokenLifetime)
			}
		}
		err = errors.Join(err, m.apply(ctx, p))
	}
	m.ring.Store(newRing(p, m.c.Now))
	return err
}

// list loads every stored key, opening its sealed material. A key that does
// not open under the master key fails the whole list (wrong master key: the
// caller must stop, not generate a new signer). A key that opens but cannot
// be loaded is logged and left alone: never delete what is not understood,
// never publish it.
func (m *Manager) list(ctx context.Context) ([]*entry, error) {
	sks, err := m.st.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: list: %w", err)
	}
	es := make([]*entry, 0, len(sks))
	for _, sk := range sks {
		if sk.Private, err = m.open(ctx, sk); err != nil {
			return nil, err
		}
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
	sk.Private = m.box.Seal(kindKey, sk.ID, sk.Private)
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
		keep := e.stop.Add(m.c.TokenLifetime)
		if err := m.st.RetireKey(ctx, e.meta.ID, e.stop, keep); err != nil && !errors.Is(err, store.ErrNotFound) {
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
	m.run(ctx, t.C)
}

// run reloads at every tick until ctx is done; tests drive the ticks.
func (m *Manager) run(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if err := m.Reload(ctx); err != nil && ctx.Err() == nil {
				m.c.Logger.Error("keys: reload", "err", err)
			}
		}
	}
}

// open returns sk's private material in clear. A value stored in clear by a
// Gatehouse from before sealing is accepted and, unless the manager is a
// Reader, sealed in place (compare-and-swap: a concurrent sealer wins
// harmlessly).
func (m *Manager) open(ctx context.Context, sk store.Key) ([]byte, error) {
	if seal.IsSealed(sk.Private) {
		plain, err := m.box.Open(kindKey, sk.ID, sk.Private)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return plain, nil
	}
	if m.c.Role == Reader {
		return sk.Private, nil
	}
	sealed := m.box.Seal(kindKey, sk.ID, sk.Private)
	switch err := m.st.ReplaceKeyPrivate(ctx, sk.ID, sk.Private, sealed); {
	case err == nil:
		m.c.Logger.Info("keys: sealed a key stored in clear", "kid", sk.ID, "alg", sk.Alg)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("keys: seal %s: %w", sk.ID, err)
	}
	return sk.Private, nil
}
