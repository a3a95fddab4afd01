# bench-lib.sh: the helpers the bench-*.sh drivers share, sourced by them
# (not run by itself). They read the driver's globals: BIN (where loadgen
# is), OUT (results directory), WORKERS and DURATION (load shape), r (the
# round), IDLE_WAIT and IDLE_MAX (how long and for what to wait).

# busy prints the fraction of all cores busy over the next second.
busy() {
	local a b
	a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
	awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
		split(a, x); split(b, y); tot = 0; idle = 0
		for (i = 2; i <= 9; i++) { d = y[i] - x[i]; tot += d; if (i == 5 || i == 6) idle += d }
		printf "%.2f", (tot - idle) / tot }'
}

# wait_idle waits (IDLE_WAIT seconds at most) until the machine is less
# busy than IDLE_MAX, and says how busy it was.
wait_idle() {
	local b
	for _ in $(seq 1 "$IDLE_WAIT"); do
		b=$(busy)
		awk -v b="$b" -v m="$IDLE_MAX" 'BEGIN { exit !(b < m) }' && { echo "idle $b"; return; }
	done
	echo "not idle after ${IDLE_WAIT}s (busy $b): running anyway"
}

# lg NAME URL TARGET PID: one loadgen verify run (logging in on URL, loading
# TARGET), its summary line appended to $OUT/summary.txt.
lg() {
	"$BIN/loadgen" verify -url "$2" -target "$3" -c "$WORKERS" -d "$DURATION" -warmup 2s -pid "$4" >"$OUT/round$r-loadgen-$1.txt"
	printf 'round %s loadgen %-14s %s | %s | %s\n' "$r" "$1" \
		"$(grep -o 'ok-rps [0-9]*' "$OUT/round$r-loadgen-$1.txt")" \
		"$(grep -o 'p50 [^ ]*  p90 [^ ]*  p99 [^ ]*' "$OUT/round$r-loadgen-$1.txt")" \
		"$(grep -E '^(server cpu|others)' "$OUT/round$r-loadgen-$1.txt" | sed 's/VmRSS.*//' | tr '\n' ' ')" | tee -a "$OUT/summary.txt"
}

# wk NAME URL TOKEN: one wrk run with TOKEN as a bearer token, its summary
# line appended to $OUT/summary.txt.
wk() {
	wrk -t 1 -c "$WORKERS" -d "$DURATION" --latency -H "Authorization: Bearer $3" "$2" >"$OUT/round$r-wrk-$1.txt"
	printf 'round %s wrk     %-14s rps %s | p50 %s p99 %s | non-2xx %s\n' "$r" "$1" \
		"$(awk '/Requests\/sec/ {print $2}' "$OUT/round$r-wrk-$1.txt")" \
		"$(awk '$1=="50%" {print $2}' "$OUT/round$r-wrk-$1.txt")" \
		"$(awk '$1=="99%" {print $2}' "$OUT/round$r-wrk-$1.txt")" \
		"$(awk '/Non-2xx/ {print $NF}' "$OUT/round$r-wrk-$1.txt")" | tee -a "$OUT/summary.txt"
}
