#!/usr/bin/env bash
# bench-verify-stores.sh: issue 9's "verify unchanged on a node with
# PostgreSQL or Redis stores" — GET /v1/verify (EdDSA bearer) on three
# Gatehouse nodes, SQLite (the single-node reference), PostgreSQL alone and
# Redis (+ PostgreSQL users), same clients and duration, rounds interleaved.
# A verify reads no store (the revocation set is in memory), so the three
# should match within the run's noise. docs/benchmarks.md has the figures.
#
# Needs: Go, psql/createdb, PostgreSQL on 127.0.0.1:5432 (trust for the
# postgres role), redis-server on PATH. Each node gets a database of its
# own (gh_bench_verify_pg, gh_bench_verify_rp; dropped and created afresh)
# and the Redis node a private redis-server, so loadgen -store-cpu reports
# the store CPU the verify load caused: none but the nodes' once-a-second
# health ping and revocation sync.
#
# Environment (defaults in brackets): CLIENTS [16], DURATION [10s],
# ROUNDS [3], CACHE (--verify-cache-size; -1 turns the verified-token cache
# off so every request checks the signature) [default size],
# IDLE_MAX [0.25], IDLE_WAIT [60], OUT [/tmp/bench-verify-<date>].
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
IDLE_MAX=${IDLE_MAX:-0.25}
IDLE_WAIT=${IDLE_WAIT:-60}
OUT=${OUT:-/tmp/bench-verify-$(date -u +%Y%m%dT%H%M%S)}
PG=postgres://postgres@127.0.0.1:5432
BIN=$OUT/bin
mkdir -p "$BIN"
cache=()
[ -n "${CACHE:-}" ] && cache=(--verify-cache-size "$CACHE")

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for db in gh_bench_verify_pg gh_bench_verify_rp; do
		dropdb -h 127.0.0.1 -U postgres --if-exists "$db" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

(cd "$REPO" && go build -o "$BIN/gatehouse" ./cmd/gatehouse && go build -o "$BIN/loadgen" ./tools/loadgen)
echo "gatehouse $(git -C "$REPO" rev-parse --short HEAD)" | tee "$OUT/versions"

gh() { # gh PORT DIR [store flags...]: starts a node, its PID in $pid
	local port=$1 dir=$2
	shift 2
	"$BIN/gatehouse" serve --addr "127.0.0.1:$port" --data-dir "$dir" --signup \
		--rate-user-burst 0 --rate-ip-burst 0 --argon2-memory 64 --argon2-time 1 \
		--log-level warn "${cache[@]}" "$@" >"$dir.log" 2>&1 &
	pid=$!
	pids+=("$pid")
}
for db in gh_bench_verify_pg gh_bench_verify_rp; do
	dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
	createdb -h 127.0.0.1 -U postgres "$db"
done
REDIS_PORT=18389
mkdir -p "$OUT/redis"
redis-server --bind 127.0.0.1 --port $REDIS_PORT --dir "$OUT/redis" --save '' --appendonly no \
	>"$OUT/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done

gh 18211 "$OUT/gh-sqlite"
SQLITE_PID=$pid
gh 18212 "$OUT/gh-pg" --postgres-url "$PG/gh_bench_verify_pg?sslmode=disable"
PG_PID=$pid
gh 18213 "$OUT/gh-redis" --redis-url "redis://127.0.0.1:$REDIS_PORT/0" \
	--postgres-url "$PG/gh_bench_verify_rp?sslmode=disable"
REDIS_PID=$pid
for port in 18211 18212 18213; do
	for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
done

. "$REPO/scripts/bench-lib.sh"
run() { # run NAME PORT PID [STORE-PATTERN]
	local f="$OUT/r$round-$1.txt"
	{ echo "# $1 round $round $(date -u +%H:%M:%S) $(wait_idle)"
	  "$BIN/loadgen" verify -url "http://127.0.0.1:$2" -c "$CLIENTS" -d "$DURATION" -warmup 2s -pid "$3" -store-cpu "${4:-}"; } >"$f" 2>&1
	echo "-- $(head -1 "$f")"
	sed -n '2,$p' "$f" | grep -E '^(requests|latency|status|machine|server|store|others|error)' | sed 's/^/   /'
}
for round in $(seq 1 "$ROUNDS"); do
	run sqlite 18211 "$SQLITE_PID"
	run postgres 18212 "$PG_PID" ": postgres gh_bench_verify_pg "
	run redis 18213 "$REDIS_PID" "redis-server 127.0.0.1:$REDIS_PORT"
done

echo "== summary per round: ok-rps (p50 / p99) server+store CPU µs/verify, others' cores"
for name in sqlite postgres redis; do
	printf '%-9s' "$name"
	for f in "$OUT"/r*-"$name".txt; do
		awk '/^requests/ { rps = $8 } /^latency/ { p50 = $3; p99 = $7 }
			/^server cpu/ { s = $6 } /^store cpu/ { st = $6 } /^others/ { o = $2 }
			END { printf "  %s (%s / %s) %s+%s µs o=%s", rps, p50, p99, s, st + 0, o }' "$f"
	done
	echo
done | tee "$OUT/summary"
