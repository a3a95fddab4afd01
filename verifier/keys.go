package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Bounds on the background JWKS refresh: the server's max-age is honoured
// within them, so a missing or absurd Cache-Control neither hammers
// Gatehouse nor keeps a removed key for a day.
const (
	minKeyRefresh = 30 * time.Second
	maxKeyRefresh = time.Hour
	defKeyRefresh = 5 * time.Minute
	maxJWKSBytes  = 1 << 20
)

// keyCache is the JWKS, looked up lock-free. A key whose JWK is unchanged
// by a refetch keeps its *token.Key, so the verified-token cache (which
// serves a hit only while the kid still maps to the very key that verified
// it) survives refreshes.
type keyCache struct {
	url    string
	client *http.Client
	now    func() time.Time
	minGap time.Duration
	log    *slog.Logger

	keys atomic.Pointer[map[string]keyEntry]
	// next is when the background loop refetches (from max-age).
	next atomic.Int64 // unix nanoseconds

	mu        sync.Mutex // one fetch at a time; guards lastFetch
	lastFetch time.Time  // on the injected clock, for the unknown-kid gate
	fetches   atomic.Int64
}

type keyEntry struct {
	jwk token.JWK
	key *token.Key
}

func newKeyCache(url string, c *http.Client, now func() time.Time, minGap time.Duration, log *slog.Logger) *keyCache {
	k := &keyCache{url: url, client: c, now: now, minGap: minGap, log: log}
	empty := map[string]keyEntry{}
	k.keys.Store(&empty)
	return k
}

// Lookup is token.KeySource.
func (k *keyCache) Lookup(kid string) (*token.Key, bool) {
	e, ok := (*k.keys.Load())[kid]
	return e.key, ok
}

func (k *keyCache) has(kid string) bool {
	_, ok := (*k.keys.Load())[kid]
	return ok
}

// refreshUnknown refetches for a token whose kid is unknown, unless a fetch
// happened within minGap: it reports whether a fetch was made (by this call
// or by one it waited for). Concurrent callers share one fetch.
func (k *keyCache) refreshUnknown(ctx context.Context) bool {
	gen := k.fetches.Load()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fetches.Load() != gen {
		return true // another caller fetched while we waited
	}
	if !k.lastFetch.IsZero() && k.now().Sub(k.lastFetch) < k.minGap {
		return false
	}
	// The fetch serves every waiter: one caller giving up must not waste
	// the interval's only fetch.
	return k.fetchLocked(context.WithoutCancel(ctx)) == nil
}

// fetch refetches now.
func (k *keyCache) fetch(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fetchLocked(ctx)
}

func (k *keyCache) fetchLocked(ctx context.Context) error {
	k.lastFetch = k.now()
	defer k.fetches.Add(1)
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	var hdr http.Header
	if err := getJSON(ctx, k.client, k.url, &doc, &hdr); err != nil {
		k.next.Store(time.Now().Add(minKeyRefresh).UnixNano())
		return err
	}
	old := *k.keys.Load()
	keys := make(map[string]keyEntry, len(doc.Keys))
	for _, raw := range doc.Keys {
		var j token.JWK
		if json.Unmarshal(raw, &j) != nil {
			continue
		}
		if e, ok := old[j.Kid]; ok && e.jwk == j {
			keys[j.Kid] = e
			continue
		}
		key, err := token.KeyFromJWK(j)
		if err != nil {
			k.log.Warn("verifier: skipping a JWK", "kid", j.Kid, "err", err)
			continue
		}
		keys[j.Kid] = keyEntry{jwk: j, key: key}
	}
	k.keys.Store(&keys)
	k.next.Store(time.Now().Add(refreshAfter(hdr.Get("Cache-Control"))).UnixNano())
	return nil
}

// refreshAfter is the max-age of a Cache-Control value, within bounds.
func refreshAfter(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		if !strings.EqualFold(name, "max-age") {
			continue
		}
		n, err := strconv.Atoi(strings.Trim(val, `"`))
		if err != nil {
			break
		}
		return min(max(time.Duration(n)*time.Second, minKeyRefresh), maxKeyRefresh)
	}
	return defKeyRefresh
}

// run refetches when the last answer's max-age runs out.
func (k *keyCache) run(ctx context.Context) {
	for {
		wait := time.Until(time.Unix(0, k.next.Load()))
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if time.Now().UnixNano() >= k.next.Load() {
			if err := k.fetch(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("verifier: JWKS refresh failed; keeping the cached keys", "err", err)
			}
		}
	}
}

// getJSON GETs url and decodes a JSON answer of at most maxJWKSBytes;
// hdr, if not nil, receives the answer's header.
func getJSON(ctx context.Context, c *http.Client, url string, v any, hdr *http.Header) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	if hdr != nil {
		*hdr = res.Header
	}
	return json.NewDecoder(io.LimitReader(res.Body, maxJWKSBytes)).Decode(v)
}
