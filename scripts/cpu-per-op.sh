#!/usr/bin/env bash
# CPU time (user+system) per benchmark iteration, for a machine too busy
# for wall-clock ns/op: the test binary runs the benchmark with N0 and then N
# iterations, and the difference of their CPU times (getrusage through
# /usr/bin/time) is divided by N-N0, so set-up costs cancel out.
#
#   go test -c -o /tmp/httpapi.test ./httpapi
#   scripts/cpu-per-op.sh /tmp/httpapi.test BenchmarkVerifyFresh 500 20000
set -euo pipefail
bin=$1 bench=$2 n0=$3 n=$4
dir=${DIR:-$(dirname "$0")/../httpapi}   # the package dir the test binary expects
cpu() {
	(cd "$dir" && /usr/bin/time -f '%U %S' "$bin" -test.run '^$' -test.bench "^$bench\$" -test.benchtime "${1}x" -test.cpu 1 2>&1 >/dev/null) |
		tail -1 | awk '{print $1 + $2}'
}
small=$(cpu "$n0")
big=$(cpu "$n")
awk -v a="$small" -v b="$big" -v n0="$n0" -v n="$n" -v name="$bench" 'BEGIN { printf "%s: %.2f µs CPU/op\n", name, (b - a) / (n - n0) * 1e6 }'
