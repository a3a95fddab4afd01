package password

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testParams are deliberately tiny so the suite stays fast under -race.
func testParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// refHash is from the reference implementation's tests
// (phc-winner-argon2 / libar2: password "password", salt "somesalt").
const refHash = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"

func mustHash(t testing.TB, pw string, p Params) string {
	t.Helper()
	s, err := Hash([]byte(pw), p)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return s
}

func TestVerify(t *testing.T) {
	t.Parallel()
	stored := mustHash(t, "correct horse", testParams())
	tests := []struct {
		name   string
		pw     string
		stored string
		want   bool
	}{
		{"accepts the hashed password", "correct horse", stored, true},
		{"rejects a wrong password", "correct horsf", stored, false},
		{"rejects a prefix of the password", "correct hors", stored, false},
		{"rejects the empty password", "", stored, false},
		{"round trips the empty password", "", mustHash(t, "", testParams()), true},
		{"round trips non-ASCII", "pässwörd 🔑", mustHash(t, "pässwörd 🔑", testParams()), true},
		{"accepts reference vector p=1", "password", refHash, true},
		{"accepts reference vector p=2", "password",
			"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", true},
		{"rejects wrong password against reference vector", "passwore", refHash, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Verify([]byte(tc.pw), tc.stored)
			if err != nil || got != tc.want {
				t.Fatalf("Verify = %v, %v; want %v, nil", got, err, tc.want)
			}
		})
	}
}

func TestHashFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Params
		re   string
	}{
		{"small params", testParams(),
			`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"OWASP defaults", DefaultParams(),
			`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"odd lengths stay unpadded", Params{Memory: 32, Time: 3, Threads: 4, SaltLen: 8, KeyLen: 64},
			`^\$argon2id\$v=19\$m=32,t=3,p=4\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{86}$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s := mustHash(t, "pw", tc.p); !regexp.MustCompile(tc.re).MatchString(s) {
				t.Fatalf("Hash = %q, want match for %s", s, tc.re)
			}
		})
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	t.Parallel()
	if a, b := mustHash(t, "pw", testParams()), mustHash(t, "pw", testParams()); a == b {
		t.Fatalf("two hashes of the same password are identical: %q", a)
	}
}

func TestHashRejectsInvalidParams(t *testing.T) {
	t.Parallel()
	with := func(f func(*Params)) Params { p := testParams(); f(&p); return p }
	tests := []struct {
		name string
		p    Params
	}{
		{"zero value", Params{}},
		{"zero threads", with(func(p *Params) { p.Threads = 0 })},
		{"zero time", with(func(p *Params) { p.Time = 0 })},
		{"time above 100", with(func(p *Params) { p.Time = 101 })},
		{"memory below 8 KiB per lane", with(func(p *Params) { p.Threads, p.Memory = 4, 31 })},
		{"memory above 4 GiB", with(func(p *Params) { p.Memory = 1<<22 + 1 })},
		{"salt shorter than 8", with(func(p *Params) { p.SaltLen = 7 })},
		{"salt longer than 1024", with(func(p *Params) { p.SaltLen = 1025 })},
		{"key shorter than 8", with(func(p *Params) { p.KeyLen = 7 })},
		{"key longer than 1024", with(func(p *Params) { p.KeyLen = 1025 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s, err := Hash([]byte("pw"), tc.p); !errors.Is(err, ErrInvalidParams) || s != "" {
				t.Fatalf("Hash = %q, %v; want ErrInvalidParams", s, err)
			}
		})
	}
}

// malformedCases are stored strings the parser must reject. They double as
// fuzz seeds.
func malformedCases() []struct{ name, phc string } {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	swap := func(old, new string) string { return strings.Replace(refHash, old, new, 1) }
	return []struct{ name, phc string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"only separators", "$$$$$"},
		{"many separators", strings.Repeat("$", 10000)},
		{"over the length cap", swap(salt, strings.Repeat("A", 5000))},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", swap("argon2id", "argon2i")},
		{"argon2d", swap("argon2id", "argon2d")},
		{"upper-case algorithm", swap("argon2id", "ARGON2ID")},
		{"version 16", swap("v=19", "v=16")},
		{"version with leading zero", swap("v=19", "v=019")},
		{"version missing", swap("$v=19", "")},
		{"version huge", swap("v=19", "v=99999999999999999999")},
		{"no leading separator", refHash[1:]},
		{"leading space", " " + refHash},
		{"trailing newline", refHash + "\n"},
		{"trailing separator", refHash + "$"},
		{"extra field", refHash + "$extra"},
		{"hash field missing", swap("$"+key, "")},
		{"salt and hash missing", swap("$"+salt+"$"+key, "")},
		{"params reordered", swap("m=256,t=2", "t=2,m=256")},
		{"param missing", swap(",p=1", "")},
		{"param extra", swap("p=1", "p=1,keyid=abc")},
		{"param repeated", swap("p=1", "p=1,p=1")},
		{"param empty", swap("m=256", "m=")},
		{"param negative", swap("m=256", "m=-256")},
		{"param with plus sign", swap("m=256", "m=+256")},
		{"param with leading zero", swap("m=256", "m=0256")},
		{"param in hex", swap("m=256", "m=0x100")},
		{"param with space", swap("m=256", "m= 256")},
		{"param with non-ASCII digits", swap("m=256", "m=２５６")},
		{"param overflows uint64", swap("m=256", "m=99999999999999999999999")},
		{"param overflows uint32", swap("m=256", "m=4294967296")},
		{"memory max uint32", swap("m=256", "m=4294967295")},
		{"memory above 4 GiB", swap("m=256", "m=4194305")},
		{"memory zero", swap("m=256", "m=0")},
		{"memory below 8 KiB per lane", swap("m=256,t=2,p=1", "m=15,t=2,p=2")},
		{"time zero", swap("t=2", "t=0")},
		{"time above 100", swap("t=2", "t=101")},
		{"threads zero", swap("p=1", "p=0")},
		{"threads above 255", swap("p=1", "p=256")},
		{"salt empty", swap(salt, "")},
		{"salt shorter than 8", swap(salt, "c29tZQ")},
		{"salt longer than 1024", swap(salt, b64.EncodeToString(make([]byte, 1025)))},
		{"hash shorter than 8", swap(key, "c29tZQ")},
		{"hash longer than 1024", swap(key, b64.EncodeToString(make([]byte, 1025)))},
		{"salt padded", swap(salt, salt+"=")},
		{"hash in URL alphabet", swap(key, strings.ReplaceAll(key, "/", "_"))},
		{"salt with invalid character", swap(salt, "c29tZXNh!HQ")},
		{"salt with non-zero trailing bits", swap(salt, "c29tZXNhbHR")},
		{"salt with impossible length", swap(salt, salt+"AA")},
		{"salt with embedded newline", swap(salt, "c29tZX\nNhbHQ")},
		{"salt with NUL", swap(salt, "c29tZX\x00NhbHQ")},
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	t.Parallel()
	h := mustHasher(t, testParams(), 1, 0)
	var slots atomic.Int32
	h.onSlot = func() { slots.Add(1) }
	for _, tc := range malformedCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if ok, err := Verify([]byte("password"), tc.phc); ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if ok, err := h.Verify(context.Background(), []byte("password"), tc.phc); ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Hasher.Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
			if !NeedsRehash(tc.phc, testParams()) {
				t.Errorf("NeedsRehash = false for a malformed hash")
			}
		})
	}
	t.Cleanup(func() {
		if n := slots.Load(); n != 0 {
			t.Errorf("malformed hashes took %d slots, want 0", n)
		}
	})
}

func TestParseAcceptsBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Params
	}{
		{"minimums", Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 8}},
		{"maximums", Params{Memory: 1 << 22, Time: 100, Threads: 255, SaltLen: 1024, KeyLen: 1024}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Built by hand: hashing at the maximums would need 4 GiB.
			in := phc{params: tc.p, salt: make([]byte, tc.p.SaltLen), key: make([]byte, tc.p.KeyLen)}
			got, err := parsePHC(in.encode())
			if err != nil || got.params != tc.p {
				t.Fatalf("parsePHC = %+v, %v; want %+v", got.params, err, tc.p)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	stored := mustHash(t, "pw", testParams())
	with := func(f func(*Params)) Params { p := testParams(); f(&p); return p }
	tests := []struct {
		name string
		p    Params
		want bool
	}{
		{"false when params are equal", testParams(), false},
		{"true when memory changes", with(func(p *Params) { p.Memory *= 2 }), true},
		{"true when time changes", with(func(p *Params) { p.Time++ }), true},
		{"true when threads change", with(func(p *Params) { p.Threads++ }), true},
		{"true when salt length changes", with(func(p *Params) { p.SaltLen = 32 }), true},
		{"true when key length changes", with(func(p *Params) { p.KeyLen = 64 }), true},
		{"true when moving to defaults", DefaultParams(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := NeedsRehash(stored, tc.p); got != tc.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewHasherNormalizesLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		concurrency, queue int
		wantSlots          int
		wantLimit          int64
	}{
		{"zero concurrency means NumCPU", 0, 3, runtime.NumCPU(), int64(runtime.NumCPU()) + 3},
		{"negative concurrency means NumCPU", -1, 0, runtime.NumCPU(), int64(runtime.NumCPU())},
		{"negative queue means none", 2, -5, 2, 2},
		{"explicit values are kept", 3, 7, 3, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := mustHasher(t, testParams(), tc.concurrency, tc.queue)
			if cap(h.slots) != tc.wantSlots || h.limit != tc.wantLimit {
				t.Fatalf("slots %d limit %d; want %d, %d", cap(h.slots), h.limit, tc.wantSlots, tc.wantLimit)
			}
			if h.Params() != testParams() {
				t.Fatalf("Params = %+v, want %+v", h.Params(), testParams())
			}
		})
	}
}

// TestNewHasherRefusesInvalidParams: bad parameters are an error, never a
// panic (--argon2-threads 4 --argon2-memory 16 used to crash the server at
// start, since argon2 needs 8 KiB per lane).
func TestNewHasherRefusesInvalidParams(t *testing.T) {
	t.Parallel()
	good := testParams()
	with := func(f func(*Params)) Params { p := good; f(&p); return p }
	tests := []struct {
		name string
		p    Params
	}{
		{"zero params", Params{}},
		{"less than 8 KiB per lane", with(func(p *Params) { p.Memory, p.Threads = 16, 4 })},
		{"zero threads", with(func(p *Params) { p.Threads = 0 })},
		{"zero time", with(func(p *Params) { p.Time = 0 })},
		{"memory over the bound", with(func(p *Params) { p.Memory = maxMemory + 1 })},
		{"short salt", with(func(p *Params) { p.SaltLen = 4 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHasher(tc.p, 1, 0)
			if !errors.Is(err, ErrInvalidParams) || h != nil {
				t.Fatalf("NewHasher(%+v) = %v, %v; want nil, ErrInvalidParams", tc.p, h, err)
			}
		})
	}
	if _, err := NewHasher(with(func(p *Params) { p.Memory, p.Threads = 32, 4 }), 1, 0); err != nil {
		t.Fatalf("8 KiB per lane refused: %v", err)
	}
}

// mustHasher is NewHasher for parameters the test knows are valid.
func mustHasher(t testing.TB, p Params, concurrency, queue int) *Hasher {
	t.Helper()
	h, err := NewHasher(p, concurrency, queue)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHasherRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := mustHasher(t, testParams(), 2, 0)
	stored, err := h.Hash(ctx, []byte("s3cret"))
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if ok, err := h.Verify(ctx, []byte("s3cret"), stored); !ok || err != nil {
		t.Errorf("Verify(right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := h.Verify(ctx, []byte("s3creT"), stored); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	if h.NeedsRehash(stored) {
		t.Errorf("NeedsRehash = true for a hash made by this Hasher")
	}
	upgraded := testParams()
	upgraded.Time++
	if !mustHasher(t, upgraded, 1, 0).NeedsRehash(stored) {
		t.Errorf("NeedsRehash = false after params changed")
	}
}

// hasherOps are the three ways into a Hasher's slots; bounds tests run each.
func hasherOps(stored string) map[string]func(context.Context, *Hasher) error {
	pw := []byte("pw")
	return map[string]func(context.Context, *Hasher) error{
		"Hash": func(ctx context.Context, h *Hasher) error {
			_, err := h.Hash(ctx, pw)
			return err
		},
		"Verify": func(ctx context.Context, h *Hasher) error {
			_, err := h.Verify(ctx, pw, stored)
			return err
		},
		"VerifyDummy": func(ctx context.Context, h *Hasher) error {
			return h.VerifyDummy(ctx, pw)
		},
	}
}

// gate makes a Hasher's first computation block until opened, and reports
// every caller that starts waiting, so tests can reach a state exactly.
type gate struct {
	held     chan struct{} // closed once the first caller holds its slot
	open     chan struct{} // closed by release to let the first caller proceed
	waiting  chan struct{} // one value per caller that starts waiting
	first    sync.Once
	released sync.Once
}

func (g *gate) release() { g.released.Do(func() { close(g.open) }) }

// newGatedHasher returns a Hasher whose first computation waits for g.release.
// Cleanup releases it too, so a failing test leaks no blocked goroutine.
func newGatedHasher(t *testing.T, concurrency, queue int) (*Hasher, *gate) {
	h := mustHasher(t, testParams(), concurrency, queue)
	g := &gate{held: make(chan struct{}), open: make(chan struct{}), waiting: make(chan struct{}, 16)}
	t.Cleanup(g.release)
	h.onSlot = func() {
		first := false
		g.first.Do(func() { first = true })
		if first {
			close(g.held)
			<-g.open
		}
	}
	h.onWait = func() { g.waiting <- struct{}{} }
	return h, g
}

// until blocks until state happens, failing instead of hanging if the caller
// behind done returns first, so a broken Hasher fails the test promptly.
func until(t *testing.T, state <-chan struct{}, done <-chan error) {
	t.Helper()
	select {
	case <-state:
	case err := <-done:
		t.Fatalf("caller returned %v before reaching the expected state", err)
	}
}

// start runs op in a goroutine and returns its result channel.
func start(op func(context.Context, *Hasher) error, ctx context.Context, h *Hasher) <-chan error {
	done := make(chan error, 1)
	go func() { done <- op(ctx, h) }()
	return done
}

func TestHasherBusyWhenQueueFull(t *testing.T) {
	t.Parallel()
	stored := mustHash(t, "pw", testParams())
	for name, op := range hasherOps(stored) {
		t.Run(name+" gets ErrBusy as third caller with one slot and one queue place", func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h, g := newGatedHasher(t, 1, 1)
			first := start(op, ctx, h)
			until(t, g.held, first)
			second := start(op, ctx, h)
			until(t, g.waiting, second)

			// The deadline only matters if the Hasher is broken and queues
			// the third caller instead of refusing it.
			third, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := op(third, h); !errors.Is(err, ErrBusy) {
				t.Fatalf("third caller: %v, want ErrBusy", err)
			}
			if d, f := h.QueueDepth(), h.InFlight(); d != 1 || f != 1 {
				t.Fatalf("QueueDepth %d InFlight %d; want 1, 1", d, f)
			}
			g.release()
			for i, done := range []<-chan error{first, second} {
				if err := <-done; err != nil {
					t.Errorf("caller %d: %v", i+1, err)
				}
			}
			assertIdle(t, h)
		})
	}
}

func TestHasherWaiterCanceled(t *testing.T) {
	t.Parallel()
	stored := mustHash(t, "pw", testParams())
	for name, op := range hasherOps(stored) {
		t.Run(name+" returns context.Canceled and frees its queue place", func(t *testing.T) {
			t.Parallel()
			h, g := newGatedHasher(t, 1, 1)
			first := start(op, context.Background(), h)
			until(t, g.held, first)
			ctx, cancel := context.WithCancel(context.Background())
			waiter := start(op, ctx, h)
			until(t, g.waiting, waiter)
			cancel()
			if err := <-waiter; !errors.Is(err, context.Canceled) {
				t.Fatalf("waiter: %v, want context.Canceled", err)
			}
			if d := h.QueueDepth(); d != 0 {
				t.Fatalf("QueueDepth = %d after cancel, want 0", d)
			}
			// The freed queue place must be usable, not leaked.
			next := start(op, context.Background(), h)
			until(t, g.waiting, next)
			g.release()
			for _, done := range []<-chan error{first, next} {
				if err := <-done; err != nil {
					t.Errorf("caller: %v", err)
				}
			}
			assertIdle(t, h)
		})
	}
}

func TestHasherCanceledContextSkipsWork(t *testing.T) {
	t.Parallel()
	stored := mustHash(t, "pw", testParams())
	for name, op := range hasherOps(stored) {
		t.Run(name+" returns ctx.Err() without taking a free slot", func(t *testing.T) {
			t.Parallel()
			h := mustHasher(t, testParams(), 1, 0)
			var slots atomic.Int32
			h.onSlot = func() { slots.Add(1) }
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := op(ctx, h); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			if n := slots.Load(); n != 0 {
				t.Fatalf("took %d slots, want 0", n)
			}
			assertIdle(t, h)
		})
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	t.Parallel()
	const concurrency, callers = 2, 16
	h := mustHasher(t, testParams(), concurrency, callers)
	var running, peak atomic.Int32
	h.onSlot = func() {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		runtime.Gosched()
		running.Add(-1)
	}
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), []byte("pw")); err != nil {
				t.Errorf("Hash: %v", err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > concurrency {
		t.Fatalf("peak concurrency %d, want <= %d", p, concurrency)
	}
	assertIdle(t, h)
}

func TestVerifyDummy(t *testing.T) {
	t.Parallel()
	h := mustHasher(t, testParams(), 1, 0)
	var slots atomic.Int32
	h.onSlot = func() { slots.Add(1) }
	if err := h.VerifyDummy(context.Background(), []byte("any password")); err != nil {
		t.Fatalf("VerifyDummy: %v", err)
	}
	// Same work as a real Verify: one slot, one argon2 run with h's params.
	if n := slots.Load(); n != 1 {
		t.Fatalf("VerifyDummy took %d slots, want 1", n)
	}
	if h.NeedsRehash(h.dummy) {
		t.Fatalf("dummy hash params differ from Hasher params: %q", h.dummy)
	}
	if ok, err := Verify([]byte(""), h.dummy); ok || err != nil {
		t.Fatalf("dummy hash matched the empty password: %v, %v", ok, err)
	}
}

func assertIdle(t *testing.T, h *Hasher) {
	t.Helper()
	if d, f, a := h.QueueDepth(), h.InFlight(), h.admitted.Load(); d != 0 || f != 0 || a != 0 {
		t.Fatalf("QueueDepth %d InFlight %d admitted %d; want all 0", d, f, a)
	}
}
