package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// op is one worker's view of the load: prepare runs untimed before each
// request (a worker whose session broke logs in again there), do sends one
// timed request and returns its HTTP status (0 with err on transport errors).
type op struct {
	prepare func() error
	do      func() (int, error)
}

// sample is what a worker records about its requests.
type sample struct {
	lat    []time.Duration
	status map[int]int
	errs   map[string]int
}

type report struct {
	wall    time.Duration
	lat     []time.Duration // sorted
	status  map[int]int
	errs    map[string]int
	maxBusy int64
	proc    procStats
	selfCPU time.Duration
	// machineCPU is the busy time of all CPUs, so what neither loadgen nor
	// the server used shows up: other processes on a shared machine.
	machineCPU time.Duration
	procErr    error         // reading /proc/PID failed (the server exited?)
	store      time.Duration // CPU of the -store-cpu processes
	storeProcs int
}

// run sets every worker up (untimed, in parallel), then drives them until
// -n requests were sent or the warm-up plus -d are over. Only requests that
// start after the warm-up are measured.
func run(o opts, mk func(int) (op, error)) (report, error) {
	ops := make([]op, o.workers)
	var wg sync.WaitGroup
	setupErr := make([]error, o.workers)
	for i := range ops {
		wg.Go(func() { ops[i], setupErr[i] = mk(i) })
	}
	wg.Wait()
	for _, err := range setupErr {
		if err != nil {
			return report{}, fmt.Errorf("setup: %w", err)
		}
	}

	start := time.Now()
	measureFrom, stopAt := start, time.Time{}
	if o.n == 0 {
		measureFrom = start.Add(o.warmup)
		stopAt = measureFrom.Add(o.duration)
	}
	var issued, busy, maxBusy atomic.Int64
	samples := make([]sample, o.workers)
	var procBefore procStats
	var selfBefore, machineBefore time.Duration
	var storeBefore map[int]time.Duration
	mark := sync.OnceFunc(func() {
		procBefore, selfBefore, machineBefore = readProc(o.pid), selfCPU(), machineCPU()
		storeBefore = matchCPU(o.storeCPU)
	})
	if o.n > 0 {
		mark()
	} else {
		time.AfterFunc(o.warmup, mark)
	}
	sampler := watchRSS(o.pid)
	// With -rate, request k of the whole run is due at start + k/rate: one
	// schedule for all workers, so a slow answer delays only its worker and
	// the others keep the pace. A worker that is late sends at once.
	var slot atomic.Int64
	var interval time.Duration
	if o.rate > 0 {
		interval = time.Duration(float64(time.Second) / o.rate)
	}

	for i := range ops {
		wg.Go(func() {
			s := sample{status: map[int]int{}, errs: map[string]int{}}
			for {
				if o.n > 0 && issued.Add(1) > o.n || o.n == 0 && !time.Now().Before(stopAt) {
					break
				}
				if p := ops[i].prepare; p != nil {
					if err := p(); err != nil {
						s.errs["prepare: "+err.Error()]++
						time.Sleep(10 * time.Millisecond)
						continue
					}
				}
				if interval > 0 {
					due := start.Add(time.Duration(slot.Add(1)-1) * interval)
					if o.n == 0 && !due.Before(stopAt) {
						break
					}
					time.Sleep(time.Until(due))
				}
				t0 := time.Now()
				maxOf(&maxBusy, busy.Add(1))
				code, err := ops[i].do()
				busy.Add(-1)
				d := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				s.lat = append(s.lat, d)
				s.status[code]++
				if err != nil {
					s.errs[err.Error()]++
				}
			}
			samples[i] = s
		})
	}
	wg.Wait()
	end := time.Now()
	mark() // in case the run ended inside the warm-up

	r := report{wall: end.Sub(measureFrom), status: map[int]int{}, errs: map[string]int{}, maxBusy: maxBusy.Load()}
	for _, s := range samples {
		r.lat = append(r.lat, s.lat...)
		for k, v := range s.status {
			r.status[k] += v
		}
		for k, v := range s.errs {
			r.errs[k] += v
		}
	}
	slices.Sort(r.lat)
	r.selfCPU = selfCPU() - selfBefore
	r.store, r.storeProcs = storeCPU(storeBefore, matchCPU(o.storeCPU))
	r.machineCPU = machineCPU() - machineBefore
	if o.pid > 0 {
		after := readProc(o.pid)
		r.procErr = cmp.Or(procBefore.err, after.err)
		r.proc = procStats{cpu: after.cpu - procBefore.cpu, rss: sampler(), hwm: after.hwm}
	}
	return r, nil
}

func maxOf(m *atomic.Int64, v int64) {
	for old := m.Load(); v > old && !m.CompareAndSwap(old, v); old = m.Load() {
	}
}

func (r report) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[int(p*float64(len(r.lat)-1))]
}

func (r report) print(w io.Writer, mode string, o opts) {
	n := len(r.lat)
	ok := 0
	for code, c := range r.status {
		if code >= 200 && code < 300 {
			ok += c
		}
	}
	secs := r.wall.Seconds()
	target := o.url
	if mode == "verify" || mode == "verify-dpop" {
		target = o.target
	}
	pace := "unpaced"
	if o.rate > 0 {
		pace = fmt.Sprintf("rate %.0f/s", o.rate)
	}
	fmt.Fprintf(w, "mode %s  target %s  workers %d  %s  measured %.2fs  max in flight %d\n", mode, target, o.workers, pace, secs, r.maxBusy)
	fmt.Fprintf(w, "requests %d  ok %d  rps %.0f  ok-rps %.0f\n", n, ok, float64(n)/secs, float64(ok)/secs)
	fmt.Fprintf(w, "latency p50 %s  p90 %s  p99 %s  max %s\n", ms(r.pct(0.50)), ms(r.pct(0.90)), ms(r.pct(0.99)), ms(r.pct(1)))
	codes := make([]int, 0, len(r.status))
	for code := range r.status {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var parts []string
	for _, code := range codes {
		name := strconv.Itoa(code)
		if code == 0 {
			name = "transport-error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, r.status[code]))
	}
	fmt.Fprintf(w, "status %s\n", strings.Join(parts, ", "))
	for e, c := range r.errs {
		fmt.Fprintf(w, "error x%d: %s\n", c, e)
	}
	fmt.Fprintf(w, "machine busy %.2f of %d cores  loadgen %.2f cores\n", r.machineCPU.Seconds()/secs, cpus(), r.selfCPU.Seconds()/secs)
	if o.storeCPU != "" {
		per := 0.0
		if n > 0 {
			per = r.store.Seconds() / float64(n) * 1e6
		}
		fmt.Fprintf(w, "store cpu %.2fs (%.2f cores, %.0f µs/request) in %d processes matching %q\n",
			r.store.Seconds(), r.store.Seconds()/secs, per, r.storeProcs, o.storeCPU)
	}
	if o.pid > 0 {
		if r.procErr != nil {
			fmt.Fprintf(w, "server pid %d: %v\n", o.pid, r.procErr)
			return
		}
		per := 0.0
		if n > 0 {
			per = r.proc.cpu.Seconds() / float64(n) * 1e6
		}
		fmt.Fprintf(w, "server cpu %.2fs (%.2f cores, %.0f µs/request)  VmRSS max sampled %s  VmHWM %s\n",
			r.proc.cpu.Seconds(), r.proc.cpu.Seconds()/secs, per, mib(r.proc.rss), mib(r.proc.hwm))
		// Neither loadgen nor the server (nor the -store-cpu processes):
		// other processes, or kernel work not charged to any of them. A
		// large figure means a noisy run.
		others := (r.machineCPU - r.selfCPU - r.proc.cpu - r.store).Seconds() / secs
		fmt.Fprintf(w, "others %.2f cores\n", others)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
func mib(kb int64) string       { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

// procStats is what /proc says about the server: CPU time and memory in KiB.
type procStats struct {
	cpu      time.Duration
	rss, hwm int64
	err      error
}

// readProc reads utime+stime from /proc/PID/stat (clock ticks of 1/100 s on
// Linux) and VmRSS/VmHWM from /proc/PID/status.
func readProc(pid int) procStats {
	if pid <= 0 {
		return procStats{}
	}
	var p procStats
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStats{err: err}
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) > 13 {
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		p.cpu = time.Duration(ut+st) * 10 * time.Millisecond
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStats{err: err}
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			p.rss = kb
		case "VmHWM":
			p.hwm = kb
		}
	}
	return p
}

// watchRSS samples the server's VmRSS every 20 ms until the returned
// function is called, which stops it and returns the largest sample.
func watchRSS(pid int) func() int64 {
	if pid <= 0 {
		return func() int64 { return 0 }
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			maxOf(&peak, readProc(pid).rss)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the non-idle time of all CPUs from /proc/stat's first line
// (user nice system idle iowait irq softirq steal ..., in 1/100 s).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var busy int64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, not iowait, not guest
			busy += v
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond
}
