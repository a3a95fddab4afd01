package token

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// ringSource is a KeySource whose keys change under the verifier, as the
// key ring does on rotation and deletion.
type ringSource struct {
	mu   sync.RWMutex
	keys map[string]*Key
}

func newRingSource(ks ...*Key) *ringSource {
	r := &ringSource{keys: map[string]*Key{}}
	for _, k := range ks {
		r.keys[k.ID] = k
	}
	return r
}

func (r *ringSource) Lookup(kid string) (*Key, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[kid]
	return k, ok
}

func (r *ringSource) set(kid string, k *Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k == nil {
		delete(r.keys, kid)
		return
	}
	r.keys[kid] = k
}

// clock is a settable clock.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) now() time.Time   { return *c.t.Load() }
func (c *clock) set(t time.Time)  { c.t.Store(&t) }

func cachedVerifier(src KeySource, clk *clock, revoked func(sid, sub string, iat time.Time) bool, size int) *Verifier {
	return NewVerifier(src, Options{Issuer: testIss, Audience: testAud, Leeway: 30 * time.Second,
		Now: clk.now, Revoked: revoked, CacheSize: size})
}

// mustHit verifies tok twice and checks that the second time was a hit.
func mustHit(t *testing.T, v *Verifier, tok string) *Claims {
	t.Helper()
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if v.cache.get(tok) == nil {
		t.Fatal("a verified token is not cached")
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("cache hit: %v", err)
	}
	return c
}

func TestCachedTokenRefusedRightAfterRevocation(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	var revoked atomic.Bool
	v := cachedVerifier(newRingSource(k), newClock(t0), func(sid, sub string, _ time.Time) bool {
		return revoked.Load() && sid == "sess-1"
	}, 0)
	tok := mustMint(t, k, testClaims(t0))
	mustHit(t, v, tok)
	revoked.Store(true)
	if _, err := v.Verify(tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("first request after logout: %v, want ErrRevoked", err)
	}
}

// TestCacheAppliesTheTimeRulesExactlyAsUncached moves the clock around a
// cached token's exp, iat and nbf and compares with an uncached verifier.
func TestCacheAppliesTheTimeRulesExactlyAsUncached(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	src := newRingSource(k)
	c := testClaims(t0)
	c.NotBefore = t0.Add(time.Minute) // nbf after iat: its own boundary
	tok := mustMint(t, k, c)
	leeway := 30 * time.Second
	times := []struct {
		name string
		at   time.Time
	}{
		{"valid", t0.Add(2 * time.Minute)},
		{"at exp+leeway", c.ExpiresAt.Add(leeway)},
		{"just past exp+leeway", c.ExpiresAt.Add(leeway + time.Nanosecond)},
		{"clock back before nbf-leeway", c.NotBefore.Add(-leeway - time.Nanosecond)},
		{"at nbf-leeway", c.NotBefore.Add(-leeway)},
		{"clock back before iat-leeway", t0.Add(-leeway - time.Nanosecond)},
		{"valid again", t0.Add(5 * time.Minute)},
		{"an hour later", c.ExpiresAt.Add(time.Hour)},
	}
	clk := newClock(t0.Add(2 * time.Minute))
	cached := cachedVerifier(src, clk, nil, 0)
	uncached := cachedVerifier(src, clk, nil, -1)
	if uncached.cache != nil {
		t.Fatal("CacheSize -1 did not turn the cache off")
	}
	mustHit(t, cached, tok)
	for _, tc := range times {
		clk.set(tc.at)
		_, want := uncached.Verify(tok)
		_, got := cached.Verify(tok)
		if !errors.Is(got, want) && got != want {
			t.Errorf("%s: cached %v, uncached %v", tc.name, got, want)
		}
		if tc.name == "just past exp+leeway" && !errors.Is(got, ErrExpired) {
			t.Errorf("%s: %v, want ErrExpired", tc.name, got)
		}
	}
}

func TestCacheNeverServesAfterExp(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgHS256]
	clk := newClock(t0)
	v := cachedVerifier(newRingSource(k), clk, nil, 0)
	tok := mustMint(t, k, testClaims(t0))
	mustHit(t, v, tok)
	clk.set(t0.Add(15*time.Minute + 31*time.Second))
	if _, err := v.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("after exp: %v, want ErrExpired", err)
	}
	if v.cache.get(tok) != nil {
		t.Fatal("an expired token stays cached")
	}
}

func TestCacheFollowsKeyChanges(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	other := *testKeys()[AlgHS256] // a different key under the same kid
	other.ID = k.ID
	for _, tc := range []struct {
		name    string
		replace *Key
	}{
		{"key removed", nil},
		{"key replaced under the same kid", &other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := newRingSource(k)
			v := cachedVerifier(src, newClock(t0), nil, 0)
			tok := mustMint(t, k, testClaims(t0))
			mustHit(t, v, tok)
			src.set(k.ID, tc.replace)
			if _, err := v.Verify(tok); !errors.Is(err, ErrInvalid) {
				t.Fatalf("after the key change: %v, want ErrInvalid", err)
			}
			if v.cache.get(tok) != nil {
				t.Fatal("the token stays cached")
			}
		})
	}
	t.Run("same key reloaded (new pointer) verifies afresh", func(t *testing.T) {
		t.Parallel()
		src := newRingSource(k)
		v := cachedVerifier(src, newClock(t0), nil, 0)
		tok := mustMint(t, k, testClaims(t0))
		mustHit(t, v, tok)
		reloaded := *k
		src.set(k.ID, &reloaded)
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
		if e := v.cache.get(tok); e == nil || e.key != &reloaded {
			t.Fatal("the cache does not hold the reloaded key's verification")
		}
	})
}

func TestFailuresAreNeverCached(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	clk := newClock(t0)
	v := cachedVerifier(newRingSource(k), clk, func(sid, _ string, _ time.Time) bool { return sid == "revoked" }, 0)
	good := mustMint(t, k, testClaims(t0))
	expired := testClaims(t0.Add(-time.Hour))
	revoked := testClaims(t0)
	revoked.SessionID = "revoked"
	for name, tok := range map[string]string{
		"forged":   withSig(good, make([]byte, 64)),
		"expired":  mustMint(t, k, expired),
		"revoked":  mustMint(t, k, revoked),
		"too long": good + strings.Repeat("A", MaxTokenLength),
		"garbage":  "not.a.token",
	} {
		if _, err := v.Verify(tok); err == nil {
			t.Fatalf("%s: verified", name)
		}
	}
	if n := v.cache.len(); n != 0 {
		t.Fatalf("%d failures cached", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgHS256]
	for _, size := range []int{1, 7, 100, 1000} {
		v := cachedVerifier(newRingSource(k), newClock(t0), nil, size)
		for i := range 2 * size {
			c := testClaims(t0)
			c.ID = fmt.Sprintf("jti-%d", i)
			if _, err := v.Verify(mustMint(t, k, c)); err != nil {
				t.Fatal(err)
			}
		}
		if n := v.cache.len(); n > size || n < size/2 {
			t.Errorf("cache of %d after %d tokens holds %d", size, 2*size, n)
		}
	}
}

func TestCachedClaimsAreTheCallersOwn(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	v := cachedVerifier(newRingSource(k), newClock(t0), nil, 0)
	tok := mustMint(t, k, testClaims(t0))
	c := mustHit(t, v, tok)
	c.Subject, c.ExpiresAt = "mallory", t0.Add(100*time.Hour)
	again, err := v.Verify(tok)
	if err != nil || again.Subject != "user-1" || !again.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("a caller's change reached the cache: %+v, %v", again, err)
	}
}

// TestCacheConcurrentUse runs verifications, revocations, key changes and
// clock moves at once (go test -race); a revoked session is never accepted
// after its revocation was visible.
func TestCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	src := newRingSource(k)
	clk := newClock(t0)
	var revoked sync.Map
	v := cachedVerifier(src, clk, func(sid, _ string, _ time.Time) bool { _, ok := revoked.Load(sid); return ok }, 64)
	var toks []string
	for i := range 100 {
		c := testClaims(t0)
		c.SessionID = fmt.Sprintf("s%d", i)
		toks = append(toks, mustMint(t, k, c))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				n := (i*7 + w) % len(toks)
				sid := fmt.Sprintf("s%d", n)
				_, gone := revoked.Load(sid)
				_, err := v.Verify(toks[n])
				if gone && err == nil {
					t.Errorf("session %s accepted after its revocation", sid)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 100 {
			revoked.Store(fmt.Sprintf("s%d", i*3%len(toks)), true)
			if i%10 == 0 {
				reloaded := *k
				src.set(k.ID, &reloaded)
				clk.set(t0.Add(time.Duration(i) * time.Second))
			}
		}
	})
	wg.Wait()
}

func TestCacheKeepsItsOwnCopyOfTheToken(t *testing.T) {
	t.Parallel()
	k := testKeys()[AlgEdDSA]
	v := cachedVerifier(newRingSource(k), newClock(t0), nil, 0)
	tok := mustMint(t, k, testClaims(t0))
	header := "Bearer " + strings.Repeat(" ", 1<<16) + tok
	if _, err := v.Verify(header[len(header)-len(tok):]); err != nil {
		t.Fatal(err)
	}
	sh := v.cache.shard(tok)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for key := range sh.m {
		if unsafe.StringData(key) == unsafe.StringData(header[len(header)-len(tok):]) {
			t.Fatal("the cache keeps a slice of the caller's (64 KiB) header alive")
		}
	}
}
