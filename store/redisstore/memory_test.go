package redisstore_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/redis/rueidis"
)

// TestMemoryPerSession measures Redis memory per live session (with its
// refresh chain rotated once and its share of the user's key), for
// browser sessions (with a cookie hash) and API ones, and per revocation
// (its log entry and its per-session dedup entry), with MEMORY USAGE
// summed over every key. It runs only when GATEHOUSE_MEASURE_MEMORY names
// the number of sessions (the figure is for 100000).
func TestMemoryPerSession(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GATEHOUSE_MEASURE_MEMORY"))
	if n <= 0 {
		t.Skip("set GATEHOUSE_MEASURE_MEMORY=100000 to measure")
	}
	c := rawClient(t)
	for _, kind := range []string{"browser", "api"} {
		s, prefix := openOn(t, nil)
		fill(t, s, n, kind == "browser")
		t.Logf("%d %s sessions: %d bytes per session (MEMORY USAGE of all their keys)",
			n, kind, usage(t, c, prefix, "")/int64(n))
		if kind != "browser" {
			continue
		}
		before := usage(t, c, prefix, "{r}:")
		for i := range 1000 {
			if _, err := s.AddRevocation(t.Context(), store.Revocation{SessionID: fmt.Sprintf("%08d-3333-4333-8333-333333333333", i),
				UserID: "00000000-0000-4000-8000-000000000000", Until: t0.Add(15 * time.Minute), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%d bytes per session revocation (log entry and dedup entry)", (usage(t, c, prefix, "{r}:")-before)/1000)
	}
}

// fill creates n sessions, five per user, each rotated once.
func fill(t *testing.T, s store.Store, n int, cookie bool) {
	const perUser = 5
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				uid := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i/perUser)
				sid := fmt.Sprintf("%08d-1111-4111-8111-111111111111", i)
				sess := store.Session{ID: sid, UserID: uid, DeviceID: "device-" + sid[:8], Username: "user" + uid[:8],
					Roles: []string{"user"}, CreatedAt: t0, LastSeenAt: t0, AuthTime: t0,
					ExpiresAt: t0.Add(30 * 24 * time.Hour), RefreshExpiresAt: t0.Add(7 * 24 * time.Hour),
					RefreshGen: 1, RotatedAt: t0, IP: "203.0.113.7",
					UserAgent:   "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
					RefreshHash: sha(sid + "/1")}
				if cookie {
					sess.CookieHash = sha(sid + "/cookie")
				}
				in := store.CreateSession{Session: sess, Now: t0, IdleTimeout: 24 * time.Hour, RevokeUntil: t0.Add(15 * time.Minute)}
				if _, err := s.CreateSession(t.Context(), in); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.RotateRefresh(t.Context(), store.Rotate{UserID: uid, SessionID: sid, Gen: 1, PresentedHash: sha(sid + "/1"),
					SuccessorHash: sha(sid + "/2"), Now: t0.Add(time.Minute), Grace: 10 * time.Second,
					RefreshTTL: 7 * 24 * time.Hour, IdleTimeout: 24 * time.Hour}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// usage sums MEMORY USAGE over the keys under prefix (only those whose
// name after the prefix starts with only, if not "").
func usage(t *testing.T, rc rueidis.Client, prefix, only string) int64 {
	t.Helper()
	var total int64
	var cursor uint64
	for {
		e, err := rc.Do(t.Context(), rc.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			if only != "" && !strings.HasPrefix(k, prefix+only) {
				continue
			}
			v, err := rc.Do(t.Context(), rc.B().MemoryUsage().Key(k).Samples(0).Build()).AsInt64()
			if err != nil {
				t.Fatal(err)
			}
			total += v
		}
		if cursor = e.Cursor; cursor == 0 {
			return total
		}
	}
}
