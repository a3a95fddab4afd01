package redisstore_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// BenchmarkRotateRefresh rotates refresh tokens from 32 goroutines (rueidis
// pipelines concurrent commands on one connection), each walking the chains
// of its own 64 sessions round-robin: one EVALSHA of lua/rotate.lua each.
func BenchmarkRotateRefresh(b *testing.B) {
	const perWorker, parallelism = 64, 32
	s := open(b)
	workers := parallelism * runtime.GOMAXPROCS(0)
	for i := range workers * perWorker {
		uid := fmt.Sprintf("user-%d", i)
		addUser(b, s, uid)
		sid := fmt.Sprintf("session-%d", i)
		_, err := s.CreateSession(b.Context(), store.CreateSession{Session: store.Session{
			ID: sid, UserID: uid, CreatedAt: t0, LastSeenAt: t0, AuthTime: t0,
			ExpiresAt: t0.Add(30 * 24 * time.Hour), RefreshExpiresAt: t0.Add(7 * 24 * time.Hour),
			RefreshGen: 1, RotatedAt: t0, IP: "192.0.2.1", UserAgent: "bench", RefreshHash: sha(sid + "/1"),
		}, Now: t0, IdleTimeout: 24 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(time.Minute)
	var next atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		first := int(next.Add(1)-1) * perWorker
		gens := make([]int64, perWorker)
		for k := range gens {
			gens[k] = 1
		}
		for j := 0; pb.Next(); j = (j + 1) % perWorker {
			sid := fmt.Sprintf("session-%d", first+j)
			_, err := s.RotateRefresh(b.Context(), store.Rotate{
				UserID: fmt.Sprintf("user-%d", first+j), SessionID: sid, Gen: gens[j],
				PresentedHash: sha(fmt.Sprintf("%s/%d", sid, gens[j])), SuccessorHash: sha(fmt.Sprintf("%s/%d", sid, gens[j]+1)),
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
