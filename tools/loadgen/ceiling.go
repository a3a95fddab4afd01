package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// ceiling measures how many argon2id hashes this machine computes per second
// with the given parameters: first on one goroutine (the time of one hash),
// then on -c goroutines at once (the real parallel ceiling, which includes
// the memory-bandwidth contention that cores/time-of-one-hash ignores).
func ceiling(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ExitOnError)
	m := fs.Uint("m", 19456, "argon2id memory in KiB")
	t := fs.Uint("t", 2, "argon2id passes")
	p := fs.Uint("p", 1, "argon2id lanes")
	c := fs.Int("c", cpus(), "goroutines for the parallel phase")
	d := fs.Duration("d", 10*time.Second, "duration of each phase")
	fs.Parse(args)
	if *c < 1 || *m < 8 || *t < 1 || *p < 1 || *p > 255 {
		return fmt.Errorf("bad parameters")
	}
	hash := func() {
		salt := make([]byte, 16)
		rand.Read(salt)
		argon2.IDKey([]byte("correct horse battery staple"), salt, uint32(*t), uint32(*m), uint8(*p), 32)
	}
	hash() // warm the allocator

	one := phase(1, *d, hash)
	m0, s0 := machineCPU(), selfCPU()
	all := phase(*c, *d, hash)
	// CPU the parallel phase did not get: anything above one core's worth
	// per goroutine going to others means the ceiling is understated.
	others := (machineCPU() - m0 - (selfCPU() - s0)).Seconds() / d.Seconds()
	single := time.Duration(float64(*d) / one)
	fmt.Printf("argon2id m=%d t=%d p=%d  cpus %d\n", *m, *t, *p, cpus())
	fmt.Printf("one goroutine   %.1f hashes/s  (%s per hash)  cpus/time-of-one-hash = %.1f/s\n",
		one/d.Seconds(), ms(single), float64(cpus())/single.Seconds())
	fmt.Printf("%d goroutines    %.1f hashes/s  (parallel ceiling)  others %.2f cores\n", *c, all/d.Seconds(), others)
	return nil
}

// phase runs f on n goroutines for d and returns how many calls finished,
// counting the ones still running at the end by the fraction done (so short
// runs of slow calls are not rounded down).
func phase(n int, d time.Duration, f func()) float64 {
	var done atomic.Int64
	var partial float64
	var mu sync.Mutex
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				t0 := time.Now()
				f()
				t1 := time.Now()
				if t1.Before(stop) {
					done.Add(1)
					continue
				}
				if t0.Before(stop) {
					mu.Lock()
					partial += float64(stop.Sub(t0)) / float64(t1.Sub(t0))
					mu.Unlock()
				}
				return
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) + partial
}
