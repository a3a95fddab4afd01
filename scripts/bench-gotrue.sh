#!/usr/bin/env bash
# bench-gotrue.sh: issue 9's refresh comparison, GoTrue (Supabase Auth)
# against Gatehouse on PostgreSQL alone and on Redis (+ PostgreSQL users),
# same machine, same PostgreSQL, same load tool, same clients and
# duration, rounds interleaved (GoTrue, Gatehouse PG, Gatehouse Redis,
# GoTrue, ...). docs/benchmarks.md has the figures and how to read them.
#
# Needs: Go, psql/createdb on PATH, PostgreSQL on 127.0.0.1:5432 with trust
# auth for the postgres role, redis-server on PATH, and GoTrue's source
# checked out OUTSIDE this repository (none of its code is committed):
#
#   git clone https://github.com/supabase/auth /work/peers/gotrue   # or any checkout
#
# Environment (defaults in brackets):
#   GOTRUE_SRC      GoTrue checkout [/work/peers/gotrue]
#   GOTRUE_BIN      GoTrue binary, built from GOTRUE_SRC when missing [/work/peers/gotrue-bin]
#   GOTRUE_POOL     GOTRUE_DB_MAX_POOL_SIZE and _MAX_IDLE_POOL_SIZE [16]
#   GH_PG_POOL      Gatehouse's pool_max_conns on PostgreSQL alone [8]
#   CLIENTS         concurrent clients, each with its own account and session [64]
#   DURATION        measured time per run, after a 2 s warm-up [10s]
#   ROUNDS          interleaved rounds [3]
#   IDLE_MAX        wait (at most IDLE_WAIT seconds) until the machine is less
#                   busy than this fraction of all cores before each run [0.25]
#   IDLE_WAIT       [60]
#   OUT             results directory [/tmp/bench-gotrue-<date>]
#   KEEP=1          keep the three databases afterwards
#
# It creates the roles GoTrue's migrations expect (supabase_admin,
# supabase_auth_admin; GoTrue connects as the latter) and the databases
# gotrue_bench, gh_bench_pg and gh_bench_rp, dropped and created afresh,
# and runs a private redis-server (no persistence) for the Redis node. A
# database (and a Redis) per system lets loadgen -store-cpu charge each one
# the store CPU it caused: the machine may be shared, so server + store
# CPU per refresh is the figure that other work disturbs least.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
GOTRUE_SRC=${GOTRUE_SRC:-/work/peers/gotrue}
GOTRUE_BIN=${GOTRUE_BIN:-/work/peers/gotrue-bin}
GOTRUE_POOL=${GOTRUE_POOL:-16}
GH_PG_POOL=${GH_PG_POOL:-8}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
IDLE_MAX=${IDLE_MAX:-0.25}
IDLE_WAIT=${IDLE_WAIT:-60}
OUT=${OUT:-/tmp/bench-gotrue-$(date -u +%Y%m%dT%H%M%S)}
PG=postgres://postgres@127.0.0.1:5432
GOTRUE_PORT=18299 GH_PG_PORT=18201 GH_REDIS_PORT=18202 REDIS_PORT=18379
mkdir -p "$OUT"
BIN=$OUT/bin
mkdir -p "$BIN"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP:-}" != 1 ]; then
		for db in gotrue_bench gh_bench_pg gh_bench_rp; do
			dropdb -h 127.0.0.1 -U postgres --if-exists "$db" >/dev/null 2>&1 || true
		done
	fi
}
trap cleanup EXIT

echo "== build ($OUT)"
(cd "$REPO" && go build -o "$BIN/gatehouse" ./cmd/gatehouse && go build -o "$BIN/loadgen" ./tools/loadgen)
if [ ! -x "$GOTRUE_BIN" ]; then
	(cd "$GOTRUE_SRC" && go build -buildvcs=false -o "$GOTRUE_BIN" .)
fi
echo "gatehouse $(git -C "$REPO" rev-parse --short HEAD), gotrue $(git -C "$GOTRUE_SRC" rev-parse --short HEAD 2>/dev/null || echo '?')" | tee "$OUT/versions"

echo "== GoTrue's database"
psql -q -v ON_ERROR_STOP=1 "$PG/postgres" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supabase_admin') THEN
    CREATE ROLE supabase_admin LOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN NOREPLICATION;
  END IF;
END $$;
ALTER ROLE supabase_auth_admin SET search_path = 'auth';
SQL
for db in gotrue_bench gh_bench_pg gh_bench_rp; do
	dropdb -h 127.0.0.1 -U postgres --if-exists "$db"
	createdb -h 127.0.0.1 -U postgres "$db"
done
psql -q -v ON_ERROR_STOP=1 "$PG/gotrue_bench" \
	-c 'CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin' \
	-c 'GRANT CREATE ON DATABASE gotrue_bench TO supabase_auth_admin'

# GoTrue's configuration: what its hack/test.env sets that matters here,
# signup confirmed at once (no mail), log level warn, and its connection
# pool tuned: the default keeps no idle connection, so every request opens
# one (about 33 refreshes/s).
export GOTRUE_DB_DRIVER=postgres
export DATABASE_URL="postgres://supabase_auth_admin@127.0.0.1:5432/gotrue_bench?sslmode=disable"
export GOTRUE_DB_MIGRATIONS_PATH=$GOTRUE_SRC/migrations
export GOTRUE_DB_MAX_POOL_SIZE=$GOTRUE_POOL
export GOTRUE_DB_MAX_IDLE_POOL_SIZE=$GOTRUE_POOL
export GOTRUE_DB_CONN_MAX_IDLE_TIME=10m
export GOTRUE_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export GOTRUE_JWT_EXP=3600
export GOTRUE_JWT_AUD=authenticated
export GOTRUE_JWT_DEFAULT_GROUP_NAME=authenticated
export GOTRUE_SITE_URL=http://127.0.0.1:3000
export API_EXTERNAL_URL=http://127.0.0.1:$GOTRUE_PORT
export GOTRUE_API_HOST=127.0.0.1
export PORT=$GOTRUE_PORT
export GOTRUE_MAILER_AUTOCONFIRM=true
export GOTRUE_LOG_LEVEL=warn
export GOTRUE_LOG_SQL=none
export GOTRUE_RATE_LIMIT_TOKEN_REFRESH=1000000
"$GOTRUE_BIN" migrate >"$OUT/gotrue-migrate.log" 2>&1

echo "== servers"
mkdir -p "$OUT/redis"
redis-server --bind 127.0.0.1 --port $REDIS_PORT --dir "$OUT/redis" --save '' --appendonly no \
	>"$OUT/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
"$GOTRUE_BIN" serve >"$OUT/gotrue.log" 2>&1 &
GOTRUE_PID=$!
pids+=("$GOTRUE_PID")

gh() { # gh PORT DIR [store flags...]: starts a node, its PID in $pid
	local port=$1 dir=$2
	shift 2
	"$BIN/gatehouse" serve --addr "127.0.0.1:$port" --data-dir "$dir" --signup \
		--rate-user-burst 0 --rate-ip-burst 0 --argon2-memory 64 --argon2-time 1 \
		--log-level warn "$@" >"$dir.log" 2>&1 &
	pid=$!
	pids+=("$pid")
}
gh $GH_PG_PORT "$OUT/gh-pg" \
	--postgres-url "$PG/gh_bench_pg?sslmode=disable&pool_max_conns=$GH_PG_POOL"
GH_PG_PID=$pid
gh $GH_REDIS_PORT "$OUT/gh-redis" \
	--redis-url "redis://127.0.0.1:$REDIS_PORT/0" \
	--postgres-url "$PG/gh_bench_rp?sslmode=disable"
GH_REDIS_PID=$pid

up() { # up URL: wait until it answers
	for _ in $(seq 1 300); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "$1 did not come up" >&2
	exit 1
}
up "http://127.0.0.1:$GOTRUE_PORT/health"
up "http://127.0.0.1:$GH_PG_PORT/readyz"
up "http://127.0.0.1:$GH_REDIS_PORT/readyz"

# busy: fraction of all cores busy over the next second (/proc/stat).
. "$REPO/scripts/bench-lib.sh"

run() { # run NAME MODE URL PID STORE-PATTERN
	local name=$1 mode=$2 url=$3 pid=$4 store=$5 f
	f="$OUT/r$round-$name.txt"
	{ echo "# $name round $round $(date -u +%H:%M:%S) $(wait_idle)"
	  "$BIN/loadgen" "$mode" -url "$url" -c "$CLIENTS" -d "$DURATION" -warmup 2s -pid "$pid" -store-cpu "$store"; } >"$f" 2>&1
	echo "-- $(head -1 "$f")"
	sed -n '2,$p' "$f" | grep -E '^(requests|latency|status|machine|server|store|others|error)' | sed 's/^/   /'
}

for round in $(seq 1 "$ROUNDS"); do
	run gotrue gotrue-refresh "http://127.0.0.1:$GOTRUE_PORT" "$GOTRUE_PID" ": supabase_auth_admin gotrue_bench "
	run gh-pg refresh "http://127.0.0.1:$GH_PG_PORT" "$GH_PG_PID" ": postgres gh_bench_pg "
	run gh-redis refresh "http://127.0.0.1:$GH_REDIS_PORT" "$GH_REDIS_PID" "redis-server 127.0.0.1:$REDIS_PORT"
done

echo "== summary per round: ok-rps (p50 / p99) server+store CPU µs/refresh, others' cores"
for name in gotrue gh-pg gh-redis; do
	printf '%-9s' "$name"
	for f in "$OUT"/r*-"$name".txt; do
		awk '/^requests/ { rps = $8 } /^latency/ { p50 = $3; p99 = $7 }
			/^server cpu/ { s = $6 } /^store cpu/ { st = $6 } /^others/ { o = $2 }
			END { printf "  %s (%s / %s) %s+%s µs o=%s", rps, p50, p99, s, st, o }' "$f"
	done
	echo
done | tee "$OUT/summary"
