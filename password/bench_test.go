package password

import (
	"context"
	"runtime"
	"testing"
)

func BenchmarkHashDefault(b *testing.B) {
	pw := []byte("correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Hash(pw, DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHasherParallel measures throughput through the bounded Hasher. The
// queue admits every RunParallel goroutine, so the figure is hashing cost under
// the concurrency limit, never ErrBusy.
func BenchmarkHasherParallel(b *testing.B) {
	h := mustHasher(b, DefaultParams(), 0, runtime.GOMAXPROCS(0))
	pw := []byte("correct horse battery staple")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(context.Background(), pw); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
