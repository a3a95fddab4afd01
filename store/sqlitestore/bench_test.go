package sqlitestore_test

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

var benchBase = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func benchHash(format string, args ...any) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, format, args...))
	return h[:]
}

func benchSession(i int64, user string) store.Session {
	return store.Session{
		ID: fmt.Sprintf("session-%d", i), UserID: user, DeviceID: fmt.Sprintf("device-%d", i),
		CreatedAt: benchBase, LastSeenAt: benchBase, AuthTime: benchBase,
		ExpiresAt: benchBase.Add(30 * 24 * time.Hour), RefreshExpiresAt: benchBase.Add(7 * 24 * time.Hour),
		RefreshGen: 1, RotatedAt: benchBase, IP: "192.0.2.1", UserAgent: "bench",
	}
}

// BenchmarkRotateRefresh rotates refresh tokens in parallel; each goroutine
// owns perWorker sessions and walks their chains round-robin.
func BenchmarkRotateRefresh(b *testing.B) {
	const perWorker = 64
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	workers := runtime.GOMAXPROCS(0)
	for i := range int64(workers * perWorker) {
		benchUser(b, s, fmt.Sprintf("user-%d", i))
		sess := benchSession(i, fmt.Sprintf("user-%d", i))
		sess.RefreshHash = benchHash("%d/1", i)
		_, err := s.CreateSession(b.Context(), store.CreateSession{Session: sess, Now: benchBase})
		if err != nil {
			b.Fatal(err)
		}
	}
	now := benchBase.Add(time.Minute)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		first := (next.Add(1) - 1) * perWorker
		gens := make([]int64, perWorker)
		for k := range gens {
			gens[k] = 1
		}
		for j := 0; pb.Next(); j = (j + 1) % perWorker {
			sid := first + int64(j)
			bs := benchSession(sid, "")
			_, err := s.RotateRefresh(b.Context(), store.Rotate{
				UserID: bs.UserID, SessionID: bs.ID, Gen: gens[j],
				PresentedHash: benchHash("%d/%d", sid, gens[j]), SuccessorHash: benchHash("%d/%d", sid, gens[j]+1),
				Now: now, Grace: 10 * time.Second, RefreshTTL: 7 * 24 * time.Hour, IdleTimeout: 24 * time.Hour,
			})
			if err != nil {
				b.Error(err)
				return
			}
			gens[j]++
		}
	})
}

// BenchmarkCreateSession creates sessions in parallel for 1000 users, each
// limited to 5 sessions (evict-oldest), so steady state evicts on every call.
func BenchmarkCreateSession(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	for i := range 1000 {
		benchUser(b, s, fmt.Sprintf("user-%d", i))
	}
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			sess := benchSession(i, fmt.Sprintf("user-%d", i%1000))
			sess.CreatedAt = benchBase.Add(time.Duration(i) * time.Microsecond)
			sess.RefreshHash = benchHash("%d/1", i)
			_, err := s.CreateSession(b.Context(), store.CreateSession{
				Session: sess, Now: sess.CreatedAt,
				MaxSessions: 5, Overflow: store.EvictOldest, IdleTimeout: 24 * time.Hour,
				RevokeUntil: sess.CreatedAt.Add(15 * time.Minute),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchUser(b *testing.B, s store.Store, id string) {
	if err := s.CreateUser(b.Context(), store.User{ID: id, Username: id, CreatedAt: benchBase}); err != nil {
		b.Fatal(err)
	}
}
