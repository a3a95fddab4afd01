package store_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	k := store.Bucket{Key: "k", Rate: 2, Burst: 3} // 2 tokens a second, 3 at most
	b := store.FullBucket(k, t0)
	for i := range 3 {
		var ok bool
		if b, ok, _ = b.Take(k, t0); !ok {
			t.Fatalf("take %d of a full bucket of 3 refused", i+1)
		}
	}
	b2, ok, wait := b.Take(k, t0)
	if ok || wait != 500*time.Millisecond || b2.Tokens != 0 {
		t.Fatalf("take of an empty bucket: %v, wait %v, tokens %v; want refused, 500ms, 0", ok, wait, b2.Tokens)
	}
	if at := b.FullAt(k); !at.Equal(t0.Add(1500 * time.Millisecond)) {
		t.Errorf("FullAt = %v, want t0+1.5s", at.Sub(t0))
	}
	if _, ok, _ := b.Take(k, t0.Add(500*time.Millisecond)); !ok {
		t.Error("no token after half a second at 2/s")
	}
	r, full := b.Refund(k, t0)
	if r.Tokens != 1 || full {
		t.Errorf("refund of an empty bucket: %v tokens, full %v", r.Tokens, full)
	}
	if r, full := store.FullBucket(k, t0).Refund(k, t0); r.Tokens != 3 || !full {
		t.Errorf("refund of a full bucket: %v tokens, full %v; never above the burst", r.Tokens, full)
	}
	if _, ok, wait := store.FullBucket(store.Bucket{Burst: 0}, t0).Take(store.Bucket{Burst: 0}, t0); ok || wait <= 0 {
		t.Errorf("a bucket of burst 0 and rate 0 let a token through (%v, %v)", ok, wait)
	}
}
