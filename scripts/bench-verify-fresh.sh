#!/usr/bin/env bash
# GET /v1/verify with the verified-token cache off (every request checks the
# EdDSA signature) against a bare golang-jwt server (loadgen refserver), and
# against the same Gatehouse before a change; plus the cached verify against
# /healthz. Rounds interleaved, loadgen and wrk (docs/benchmarks.md,
# "Forward-auth: an empty 200").
#
#   scripts/bench-verify-fresh.sh [BEFORE_COMMIT]     # default: HEAD~1
#
# Environment knobs: ROUNDS (5), DURATION (10s), WORKERS (16), OUT,
# BASEPORT (18380). wrk is used when installed (apt-get install wrk).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEFORE=${1:-HEAD~1}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-16}
BASEPORT=${BASEPORT:-18380}
OUT=${OUT:-$(mktemp -d /tmp/bench-verify.XXXXXX)}
BIN=$OUT/bin
WORK=$OUT/work
mkdir -p "$BIN" "$WORK" "$OUT/before-src"

AFTER_PORT=$((BASEPORT + 1)) BEFORE_PORT=$((BASEPORT + 2)) REF_PORT=$((BASEPORT + 3)) CACHE_PORT=$((BASEPORT + 4))

(cd "$ROOT" && go build -o "$BIN/gatehouse-after" ./cmd/gatehouse && go build -o "$BIN/loadgen" ./tools/loadgen)
git -C "$ROOT" archive "$BEFORE" | tar -x -C "$OUT/before-src"
(cd "$OUT/before-src" && go build -o "$BIN/gatehouse-before" ./cmd/gatehouse)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

waitport() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

serve() { # name binary port extra...
	local name=$1 bin=$2 port=$3
	shift 3
	"$bin" serve --addr "127.0.0.1:$port" --data-dir "$WORK/$name" --signup --ui=false \
		--rate-user-burst 0 --rate-ip-burst 0 --argon2-memory 64 --argon2-time 1 --log-level warn "$@" \
		>"$OUT/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	waitport "$port"
}

serve after "$BIN/gatehouse-after" "$AFTER_PORT" --verify-cache-size -1
serve before "$BIN/gatehouse-before" "$BEFORE_PORT" --verify-cache-size -1
serve cache "$BIN/gatehouse-after" "$CACHE_PORT"
"$BIN/loadgen" refserver -addr "127.0.0.1:$REF_PORT" -jwks "http://127.0.0.1:$AFTER_PORT/.well-known/jwks.json" -d 2h >"$OUT/refserver.log" 2>&1 &
PIDS+=($!)
PID_ref=$!
waitport "$REF_PORT"

token() { # port
	local creds='{"username":"wrk","password":"correct horse battery staple"}'
	curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$creds" "http://127.0.0.1:$1/v1/signup" 2>/dev/null || true
	curl -fsS -H 'Content-Type: application/json' -d "$creds" "http://127.0.0.1:$1/v1/login" |
		sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
TOK_AFTER=$(token "$AFTER_PORT")
TOK_BEFORE=$(token "$BEFORE_PORT")
TOK_CACHE=$(token "$CACHE_PORT")

. "$ROOT/scripts/bench-lib.sh"
{
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), $(go version | cut -d' ' -f3-)"
	echo "after: $(git -C "$ROOT" rev-parse --short HEAD)  before: $(git -C "$ROOT" rev-parse --short "$BEFORE")  workers $WORKERS  $DURATION per run"
} | tee -a "$OUT/summary.txt"
for r in $(seq "$ROUNDS"); do
	lg after "http://127.0.0.1:$AFTER_PORT" "http://127.0.0.1:$AFTER_PORT/v1/verify" "$PID_after"
	lg refserver "http://127.0.0.1:$AFTER_PORT" "http://127.0.0.1:$REF_PORT/" "$PID_ref"
	lg before "http://127.0.0.1:$BEFORE_PORT" "http://127.0.0.1:$BEFORE_PORT/v1/verify" "$PID_before"
	lg cache-verify "http://127.0.0.1:$CACHE_PORT" "http://127.0.0.1:$CACHE_PORT/v1/verify" "$PID_cache"
	lg cache-healthz "http://127.0.0.1:$CACHE_PORT" "http://127.0.0.1:$CACHE_PORT/healthz" "$PID_cache"
	if command -v wrk >/dev/null; then
		wk after "http://127.0.0.1:$AFTER_PORT/v1/verify" "$TOK_AFTER"
		wk refserver "http://127.0.0.1:$REF_PORT/" "$TOK_AFTER"
		wk before "http://127.0.0.1:$BEFORE_PORT/v1/verify" "$TOK_BEFORE"
	fi
done
echo "results in $OUT/summary.txt"
