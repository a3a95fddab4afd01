#!/usr/bin/env bash
# Gatehouse GET /v1/verify against oauth2-proxy's /oauth2/auth with a JWT
# bearer token, side by side on this machine, same tools, rounds interleaved
# (docs/benchmarks.md, "oauth2-proxy side by side").
#
# From a clean machine (Go and git installed, network for the Go module
# proxy; wrk optional: apt-get install wrk):
#
#   scripts/bench-oauth2-proxy.sh            # fetch + build oauth2-proxy, then measure
#
# What it does:
#   1. oauth2-proxy's source is cloned into $PEERS/oauth2-proxy (outside this
#      repository; none of it is committed) at $O2P_COMMIT and built with the
#      Go module proxy into $PEERS/bin/oauth2-proxy. An existing checkout or
#      binary is reused.
#   2. gatehouse and tools/loadgen are built from this checkout.
#   3. Servers, all on loopback:
#      - gatehouse "cache": the default verified-token cache;
#      - gatehouse "fresh": --verify-cache-size -1 (the signature is checked
#        on every request, as oauth2-proxy does);
#      - loadgen discovery: an OIDC discovery document whose jwks_uri is the
#        cache node's JWKS and which advertises EdDSA. Gatehouse's own
#        document has no id_token_signing_alg_values_supported (it issues no
#        ID tokens), and go-oidc then accepts RS256 only; both nodes run with
#        --issuer set to this stub so the tokens' iss matches;
#      - oauth2-proxy: --provider oidc on that issuer, client id = the
#        tokens' audience, --skip-jwt-bearer-tokens, every log off but the
#        standard one, an upstream that answers 202 (static://202).
#   4. Sanity: each target answers 2xx to a real token and 401/403 to a token
#      with a forged signature (so oauth2-proxy really checks it).
#   5. $ROUNDS rounds, each: loadgen against cache, oauth2-proxy, fresh (the
#      same 16 workers and one repeated token: each run logs in once), then,
#      if wrk is installed, wrk against the same three.
#
# Results: $OUT/summary.txt (+ one file per run). Environment knobs:
# PEERS, O2P_COMMIT, ROUNDS, DURATION, WORKERS, OUT, BASEPORT, ALG.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-/work/peers}
O2P_REPO=${O2P_REPO:-https://github.com/oauth2-proxy/oauth2-proxy}
O2P_COMMIT=${O2P_COMMIT:-14af2951}   # master after v7.15.3, 2026-12-02 snapshot
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WORKERS=${WORKERS:-16}
ALG=${ALG:-EdDSA}
BASEPORT=${BASEPORT:-18280}
OUT=${OUT:-$(mktemp -d /tmp/bench-o2p.XXXXXX)}
BIN=$OUT/bin
WORK=$OUT/work
mkdir -p "$BIN" "$WORK" "$PEERS/bin"

GH_CACHE=$((BASEPORT + 1)) GH_FRESH=$((BASEPORT + 2)) DISC=$((BASEPORT + 3)) O2P=$((BASEPORT + 4))
ISSUER=http://127.0.0.1:$DISC

# 1. oauth2-proxy
if [ ! -x "$PEERS/bin/oauth2-proxy" ]; then
	if [ ! -f "$PEERS/oauth2-proxy/go.mod" ]; then
		git clone --quiet "$O2P_REPO" "$PEERS/oauth2-proxy"
		git -C "$PEERS/oauth2-proxy" checkout --quiet "$O2P_COMMIT"
	fi
	(cd "$PEERS/oauth2-proxy" && go build -o "$PEERS/bin/oauth2-proxy" .)
fi
"$PEERS/bin/oauth2-proxy" --version >"$OUT/oauth2-proxy-version.txt" 2>&1 || true

# 2. gatehouse and loadgen
(cd "$ROOT" && go build -o "$BIN/gatehouse" ./cmd/gatehouse && go build -o "$BIN/loadgen" ./tools/loadgen)

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

waitport() { # port
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

gatehouse() { # name port extra-flags...
	local name=$1 port=$2
	shift 2
	"$BIN/gatehouse" serve --addr "127.0.0.1:$port" --data-dir "$WORK/$name" --issuer "$ISSUER" \
		--signing-alg "$ALG" --signup --ui=false --rate-user-burst 0 --rate-ip-burst 0 \
		--argon2-memory 64 --argon2-time 1 --log-level warn "$@" >"$OUT/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	waitport "$port"
}

# 3. servers
gatehouse cache "$GH_CACHE"
gatehouse fresh "$GH_FRESH" --verify-cache-size -1
"$BIN/loadgen" discovery -addr "127.0.0.1:$DISC" -jwks "http://127.0.0.1:$GH_CACHE/.well-known/jwks.json" -alg "$ALG" -d 2h >"$OUT/discovery.log" 2>&1 &
PIDS+=($!)
waitport "$DISC"
"$PEERS/bin/oauth2-proxy" \
	--http-address "127.0.0.1:$O2P" \
	--provider oidc --oidc-issuer-url "$ISSUER" \
	--client-id gatehouse --client-secret unused \
	--cookie-secret "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" --cookie-secure=false \
	--redirect-url "http://127.0.0.1:$O2P/oauth2/callback" \
	--email-domain '*' --skip-jwt-bearer-tokens \
	--upstream static://202 \
	--request-logging=false --auth-logging=false \
	>"$OUT/oauth2-proxy.log" 2>&1 &
PIDS+=($!)
PID_o2p=$!
waitport "$O2P"

# 4. sanity: a real token passes everywhere, a forged signature nowhere.
# (user "wrk": loadgen logs in as bench-0 on every run, and at 100
# sessions the oldest of a user's is evicted.)
token() { # port
	local creds='{"username":"wrk","password":"correct horse battery staple"}'
	curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$creds" "http://127.0.0.1:$1/v1/signup" 2>/dev/null || true
	curl -fsS -H 'Content-Type: application/json' -d "$creds" "http://127.0.0.1:$1/v1/login" |
		sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
TOK_CACHE=$(token "$GH_CACHE")
TOK_FRESH=$(token "$GH_FRESH")
forge() { local t=$1; echo "${t%????}AAAA"; }
check() { # what url token want-regex
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "$2")
	if ! [[ $code =~ $4 ]]; then
		echo "sanity: $1 answered $code, want $4" >&2
		tail -20 "$OUT/oauth2-proxy.log" >&2
		exit 1
	fi
	echo "sanity: $1 → $code" | tee -a "$OUT/summary.txt"
}
check "gatehouse cache, real token" "http://127.0.0.1:$GH_CACHE/v1/verify" "$TOK_CACHE" '^200$'
check "gatehouse cache, forged signature" "http://127.0.0.1:$GH_CACHE/v1/verify" "$(forge "$TOK_CACHE")" '^401$'
check "gatehouse fresh, real token" "http://127.0.0.1:$GH_FRESH/v1/verify" "$TOK_FRESH" '^200$'
check "gatehouse fresh, forged signature" "http://127.0.0.1:$GH_FRESH/v1/verify" "$(forge "$TOK_FRESH")" '^401$'
check "oauth2-proxy, real token" "http://127.0.0.1:$O2P/oauth2/auth" "$TOK_CACHE" '^202$'
check "oauth2-proxy, forged signature" "http://127.0.0.1:$O2P/oauth2/auth" "$(forge "$TOK_CACHE")" '^(401|403)$'
check "oauth2-proxy, the fresh node's token (other keys)" "http://127.0.0.1:$O2P/oauth2/auth" "$TOK_FRESH" '^(401|403)$'

# 5. rounds
. "$ROOT/scripts/bench-lib.sh"
{
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r), $(go version | cut -d' ' -f3-)"
	echo "oauth2-proxy: $O2P_COMMIT ($(head -1 "$OUT/oauth2-proxy-version.txt"))  gatehouse: $(git -C "$ROOT" rev-parse --short HEAD)  alg $ALG  workers $WORKERS  $DURATION per run"
} | tee -a "$OUT/summary.txt"
for r in $(seq "$ROUNDS"); do
	lg cache "http://127.0.0.1:$GH_CACHE" "http://127.0.0.1:$GH_CACHE/v1/verify" "$PID_cache"
	lg oauth2-proxy "http://127.0.0.1:$GH_CACHE" "http://127.0.0.1:$O2P/oauth2/auth" "$PID_o2p"
	lg fresh "http://127.0.0.1:$GH_FRESH" "http://127.0.0.1:$GH_FRESH/v1/verify" "$PID_fresh"
	if command -v wrk >/dev/null; then
		wk cache "http://127.0.0.1:$GH_CACHE/v1/verify" "$TOK_CACHE"
		wk oauth2-proxy "http://127.0.0.1:$O2P/oauth2/auth" "$TOK_CACHE"
		wk fresh "http://127.0.0.1:$GH_FRESH/v1/verify" "$TOK_FRESH"
	fi
done
echo "results in $OUT/summary.txt"
