#!/usr/bin/env bash
# cluster-demo.sh — three Gatehouse nodes on one PostgreSQL (and one Redis),
# driven with curl, for humans to watch.
#
#   scripts/cluster-demo.sh                  # sessions in Redis, users in PostgreSQL
#   scripts/cluster-demo.sh postgres         # PostgreSQL alone
#
# It builds the binary, creates a schema of its own on the PostgreSQL at
# $GATEHOUSE_DEMO_POSTGRES_URL (default: the local server, trust auth,
# database test), starts a private redis-server on a free port (unless
# $GATEHOUSE_DEMO_REDIS_URL names one), starts three nodes on free ports
# and runs the story, printing each step:
#
#   1. login on node 1
#   2. refresh on node 2
#   3. the spent refresh token on node 3: reuse, the session ends everywhere
#   4. logout on node 2, refused on node 1 (how long it took is printed)
#   5. the session limit (--max-sessions 3 --session-overflow reject) under
#      9 parallel logins spread over the nodes: exactly 3 succeed
#
# Everything it started is stopped, the schema dropped and (with
# $GATEHOUSE_DEMO_REDIS_URL) its keys deleted on exit (also on Ctrl-C or a
# failure). It exits 0 when every step went as expected, 1
# otherwise, and 77 when something it needs is missing (go, curl,
# redis-server, a reachable PostgreSQL): the Go test that runs it
# (scripts/demo_test.go) skips on 77 unless GATEHOUSE_REQUIRE_INTEGRATION=1.
set -euo pipefail

topology=${1:-redis+postgres}
case $topology in
redis+postgres | postgres) ;;
*)
	echo "usage: $0 [redis+postgres|postgres]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pg_url=${GATEHOUSE_DEMO_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-demo.XXXXXX")
schema=gh_demo_$(date +%s)_$$
pids=()

step() { printf '\n==> %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
fail() {
	printf '    FAILED: %s\n' "$*" >&2
	exit 1
}
missing() {
	echo "cluster-demo: $* is not available" >&2
	exit 77
}

psql_bin=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n1 || true)

cleanup() {
	local rc=$?
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	if [[ -n $psql_bin ]]; then
		"$psql_bin" -q "$pg_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1
	fi
	if [[ -n ${GATEHOUSE_DEMO_REDIS_URL:-} ]] && command -v redis-cli >/dev/null; then
		redis-cli -u "$GATEHOUSE_DEMO_REDIS_URL" --scan --pattern "$schema:*" 2>/dev/null |
			xargs -r redis-cli -u "$GATEHOUSE_DEMO_REDIS_URL" del >/dev/null 2>&1
	fi
	if [[ $rc -ne 0 && $rc -ne 77 ]]; then
		for f in "$work"/*.log; do
			[[ -f $f ]] || continue
			echo "--- tail of $(basename "$f")" >&2
			tail -n 20 "$f" >&2
		done
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v go >/dev/null || missing go
command -v curl >/dev/null || missing curl
[[ -n $psql_bin ]] || missing "psql (to create and drop the demo schema)"
"$psql_bin" -q "$pg_url" -c 'SELECT 1' >/dev/null 2>&1 || missing "PostgreSQL at $pg_url (set GATEHOUSE_DEMO_POSTGRES_URL)"

# free_port prints a loopback port nobody listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	fail "no free port"
}

# field prints a string field of a JSON object (tokens hold no quotes).
field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p'; }

# request METHOD URL [JSON] [BEARER]: sets $code and $body.
request() {
	local args=(-s -o "$work/body" -w '%{http_code}' -X "$1" "$2")
	[[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	[[ -n ${4:-} ]] && args+=(-H "Authorization: Bearer $4")
	code=$(curl "${args[@]}")
	body=$(cat "$work/body")
}

expect() { # expect CODE WHAT
	[[ $code == "$1" ]] || fail "$2: got $code $body, want $1"
	say "$2: $code"
}

step "building gatehouse"
(cd "$root" && go build -o "$work/gatehouse" ./cmd/gatehouse)
say "$work/gatehouse"

redis_url=
if [[ $topology == redis+postgres ]]; then
	if [[ -n ${GATEHOUSE_DEMO_REDIS_URL:-} ]]; then
		redis_url=$GATEHOUSE_DEMO_REDIS_URL
		case $redis_url in *\?*) redis_url+="&prefix=$schema:" ;; *) redis_url+="?prefix=$schema:" ;; esac
		step "Redis: $GATEHOUSE_DEMO_REDIS_URL (key prefix $schema:)"
	else
		command -v redis-server >/dev/null || missing redis-server
		rport=$(free_port)
		redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$work" --logfile "$work/redis.log" &
		pids+=($!)
		for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break; sleep 0.1; done
		redis_url=redis://127.0.0.1:$rport/0
		step "Redis: a private redis-server on 127.0.0.1:$rport"
	fi
fi
case $pg_url in *\?*) node_pg=$pg_url"&search_path=$schema" ;; *) node_pg=$pg_url"?search_path=$schema" ;; esac
say "PostgreSQL: schema $schema (dropped on exit)"

export GATEHOUSE_MASTER_KEY # the issuer below is one for all nodes too: tokens name it
GATEHOUSE_MASTER_KEY=$(head -c 32 /dev/urandom | base64) # the same on every node
export GATEHOUSE_POSTGRES_URL=$node_pg GATEHOUSE_REDIS_URL=$redis_url

# start_node I: starts node I on a free port and waits until it is ready
# (node 1 migrates the schema first). A port taken between free_port and
# the node's bind (another program on this machine) makes the node exit:
# then it tries another port.
start_node() {
	local i=$1 port pid
	mkdir -p "$work/node$i"
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		"$work/gatehouse" serve --addr "127.0.0.1:$port" --data-dir "$work/node$i" \
			--issuer https://auth.demo.example --refresh-reuse-grace 0s --max-sessions 3 --session-overflow reject \
			--log-level warn >"$work/node$i.log" 2>&1 &
		pid=$!
		for _ in $(seq 600); do
			if ! kill -0 "$pid" 2>/dev/null; then
				grep -q 'address already in use' "$work/node$i.log" && continue 2
				fail "node $i exited: $(tail -3 "$work/node$i.log")"
			fi
			if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]]; then
				pids+=("$pid")
				nodes+=("http://127.0.0.1:$port")
				step "node $i on 127.0.0.1:$port ($topology)"
				return
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		fail "node $i on 127.0.0.1:$port never answered 200 on /readyz"
	done
	fail "node $i: no port it could bind"
}

nodes=()
for i in 1 2 3; do
	start_node "$i"
done

step "signup alice on node 1"
request POST "${nodes[0]}/v1/signup" '{"username":"alice","password":"correct horse battery"}'
expect 201 "POST node1/v1/signup"

step "1. login on node 1"
request POST "${nodes[0]}/v1/login" '{"username":"alice","password":"correct horse battery"}'
expect 200 "POST node1/v1/login"
refresh1=$(field refresh_token <<<"$body")

step "2. refresh on node 2"
request POST "${nodes[1]}/v1/token/refresh" "{\"refresh_token\":\"$refresh1\"}"
expect 200 "POST node2/v1/token/refresh"
access2=$(field access_token <<<"$body")
request GET "${nodes[2]}/v1/verify" "" "$access2"
expect 200 "GET node3/v1/verify with node 2's access token"

step "3. the spent refresh token again, on node 3: reuse"
request POST "${nodes[2]}/v1/token/refresh" "{\"refresh_token\":\"$refresh1\"}"
expect 401 "POST node3/v1/token/refresh (spent token)"
[[ $(field error <<<"$body") == refresh_token_reused ]] || fail "error $(field error <<<"$body"), want refresh_token_reused"
say "error: refresh_token_reused — the session is ended on every node"
for i in 0 1 2; do
	for _ in $(seq 1000); do
		request GET "${nodes[$i]}/v1/verify" "" "$access2"
		[[ $code == 401 ]] && break
		sleep 0.01
	done
	expect 401 "GET node$((i + 1))/v1/verify with the reused session's access token"
done

step "4. login on node 1, logout on node 2, refused on node 1"
request POST "${nodes[0]}/v1/login" '{"username":"alice","password":"correct horse battery"}'
expect 200 "POST node1/v1/login"
access3=$(field access_token <<<"$body")
request GET "${nodes[0]}/v1/verify" "" "$access3"
expect 200 "GET node1/v1/verify"
request POST "${nodes[1]}/v1/logout" '{}' "$access3"
expect 204 "POST node2/v1/logout"
t0=$(date +%s%N)
polls=0
for _ in $(seq 10000); do
	polls=$((polls + 1))
	request GET "${nodes[0]}/v1/verify" "" "$access3"
	[[ $code == 401 ]] && break
done
t1=$(date +%s%N)
expect 401 "GET node1/v1/verify after the logout on node 2"
say "refused on node 1 at poll $polls, $(((t1 - t0) / 1000)) µs after node 2 answered the logout (each poll starts a curl; goal 50 ms)"

step "5. session limit 3 (reject), 9 parallel logins of bob over the three nodes"
request POST "${nodes[0]}/v1/signup" '{"username":"bob","password":"correct horse battery"}'
expect 201 "POST node1/v1/signup"
for i in $(seq 0 8); do
	curl -s -o "$work/login$i" -w '%{http_code}' -X POST "${nodes[$((i % 3))]}/v1/login" \
		-H 'Content-Type: application/json' -d '{"username":"bob","password":"correct horse battery"}' >"$work/code$i" &
done
wait_logins=0
for i in $(seq 0 8); do
	while [[ ! -s $work/code$i ]]; do
		sleep 0.05
		wait_logins=$((wait_logins + 1))
		((wait_logins < 600)) || fail "the parallel logins did not finish"
	done
done
ok=0 limited=0
for i in $(seq 0 8); do
	c=$(cat "$work/code$i")
	say "login $((i + 1)) on node $((i % 3 + 1)): $c $(field error <"$work/login$i")"
	case $c in
	200) ok=$((ok + 1)) ;;
	409) limited=$((limited + 1)) ;;
	*) fail "login $((i + 1)): $c $(cat "$work/login$i")" ;;
	esac
done
[[ $ok == 3 && $limited == 6 ]] || fail "$ok logins succeeded and $limited were refused, want 3 and 6"
say "exactly 3 succeeded, 6 got 409 session_limit"

step "done: every step went as expected"
