package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

// RunProofReplay is the conformance suite of store.ProofReplay, run by the
// distributed backends (PostgreSQL, Redis) whose nodes share DPoP replay
// state. open returns a fresh store each time; two opened at once are two
// nodes on the same data when the backend says so (see the callers).
func RunProofReplay(t *testing.T, open func(t *testing.T) store.ProofReplay) {
	t.Run("first use wins, replay refused until its time", func(t *testing.T) {
		r := open(t)
		now := time.Now().UTC()
		ok, err := r.UseProof(t.Context(), "k1", now.Add(time.Minute), now)
		wantErr(t, "UseProof", err, nil)
		if !ok {
			t.Fatal("first use refused")
		}
		if ok, _ := r.UseProof(t.Context(), "k1", now.Add(time.Minute), now.Add(time.Second)); ok {
			t.Fatal("replay accepted")
		}
		if ok, _ := r.UseProof(t.Context(), "k2", now.Add(time.Minute), now); !ok {
			t.Fatal("another key refused")
		}
	})
	t.Run("an entry past its time is taken over", func(t *testing.T) {
		r := open(t)
		now := time.Now().UTC()
		if ok, _ := r.UseProof(t.Context(), "short", now.Add(50*time.Millisecond), now); !ok {
			t.Fatal("first use refused")
		}
		later := now.Add(time.Second)
		waitUntil(later)
		if ok, err := r.UseProof(t.Context(), "short", later.Add(time.Minute), later); !ok || err != nil {
			t.Fatalf("use after the window: %v %v", ok, err)
		}
	})
	t.Run("16 concurrent uses: exactly one wins", func(t *testing.T) {
		r := open(t)
		now := time.Now().UTC()
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := r.UseProof(t.Context(), "race", now.Add(time.Minute), now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d uses won", wins.Load())
		}
	})
}

// waitUntil sleeps until t on the wall clock (Redis expires keys by its
// own clock, so this suite cannot jump time).
func waitUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}
