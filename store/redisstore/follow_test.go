package redisstore_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

func TestWaitRevocationsWakesOnAnAppend(t *testing.T) {
	s := open(t)
	first, err := s.AddRevocation(t.Context(), store.Revocation{UserID: "u1", NotBefore: t0, Until: t0.Add(time.Hour), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	// An entry already past afterID answers at once.
	if got, err := s.WaitRevocations(t.Context(), 0); err != nil || got != first.ID {
		t.Fatalf("WaitRevocations(0) = %d, %v; want %d", got, err, first.ID)
	}
	done := make(chan int64, 1)
	go func() {
		got, err := s.WaitRevocations(t.Context(), first.ID)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	// Whether the XREAD blocks before the append or starts after it, it
	// must answer with the new id.
	second, err := s.AddRevocation(t.Context(), store.Revocation{UserID: "u1", NotBefore: t0, Until: t0.Add(time.Hour), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got != second.ID {
			t.Errorf("WaitRevocations woke with %d, want %d", got, second.ID)
		}
	case <-time.After(3 * time.Second): // below followBlock: it was the append that woke it
		t.Fatal("WaitRevocations did not wake on the append")
	}
}
