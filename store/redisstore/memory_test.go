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
// refresh chain rotated once, its pointers and its share of the user's
// index) and per revocation, with MEMORY USAGE summed over every key. It
// runs only when GATEHOUSE_MEASURE_MEMORY names the number of sessions
// (the figure is for 100000).
func TestMemoryPerSession(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GATEHOUSE_MEASURE_MEMORY"))
	if n <= 0 {
		t.Skip("set GATEHOUSE_MEASURE_MEMORY=100000 to measure")
	}
	s, prefix := openOn(t, nil)
	c := rawClient(t)
	const perUser = 5
	for u := 0; u < n/perUser; u++ {
		addUser(t, s, fmt.Sprintf("%08d-0000-4000-8000-000000000000", u))
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				uid := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i/perUser)
				sid := fmt.Sprintf("%08d-1111-4111-8111-111111111111", i)
				in := store.CreateSession{
					Session: store.Session{ID: sid, UserID: uid, DeviceID: "device-" + sid[:8], Username: "user" + uid[:8],
						Roles: []string{"user"}, CreatedAt: t0, LastSeenAt: t0, AuthTime: t0,
						ExpiresAt: t0.Add(30 * 24 * time.Hour), RefreshExpiresAt: t0.Add(7 * 24 * time.Hour),
						RefreshGen: 1, RotatedAt: t0, IP: "203.0.113.7",
						UserAgent:   "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
						RefreshHash: sha(sid + "/1"), CookieHash: sha(sid + "/cookie")},
					Now: t0, IdleTimeout: 24 * time.Hour, RevokeUntil: t0.Add(15 * time.Minute),
				}
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
	sessions := usage(t, c, prefix, "")
	if _, err := s.EndUserSessions(t.Context(), fmt.Sprintf("%08d-0000-4000-8000-000000000000", 0), "", "logout", t0, t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	before := usage(t, c, prefix, "revlog")
	for range 1000 {
		if _, err := s.AddRevocation(t.Context(), store.Revocation{SessionID: "00000000-1111-4111-8111-111111111111",
			UserID: "00000000-0000-4000-8000-000000000000", Until: t0.Add(15 * time.Minute), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	after := usage(t, c, prefix, "revlog")
	t.Logf("%d sessions: %d bytes per session (MEMORY USAGE of all their keys); %d bytes per revocation",
		n, sessions/int64(n), (after-before)/1000)
}

// usage sums MEMORY USAGE over the keys under prefix (only the key named
// only, if not "").
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
			if only != "" && !strings.HasSuffix(k, only) {
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
