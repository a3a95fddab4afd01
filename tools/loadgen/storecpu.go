package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// matchCPU is the CPU time (utime+stime) of every process whose command
// line contains pattern, by PID. It is how -store-cpu charges the store's
// work to the requests that caused it: PostgreSQL backends rename
// themselves "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) ...", so the
// pattern ": USER DATABASE " with a database of the benchmark's own
// separates its backends from other users of the same server; a private
// redis-server is "redis-server 127.0.0.1:PORT".
func matchCPU(pattern string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if pattern == "" {
		return out
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.Contains(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})), pattern) {
			continue
		}
		if p := readProc(pid); p.err == nil {
			out[pid] = p.cpu
		}
	}
	return out
}

// storeCPU is the CPU the matching processes used between two snapshots:
// a process that started in between counts from zero; one that exited in
// between is lost (an undercount; pools keep their connections, so it is
// rare). n is the number of processes matched at the end, so a pattern
// that matches nothing shows as 0 rather than as an idle store.
func storeCPU(before, after map[int]time.Duration) (cpu time.Duration, n int) {
	for pid, t := range after {
		if d := t - before[pid]; d > 0 {
			cpu += d
		}
	}
	return cpu, len(after)
}
