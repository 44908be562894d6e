#!/usr/bin/env bash
# Instructions and CPU time per request, by phase, for the release gatehouse and the bare
# axum + sqlx reference (see "Where the time goes" in docs/performance.md).
#
# Both servers run on a fresh PostgreSQL database and are driven one request at a time over
# one keep-alive connection by benches/profile_client.py, so the figures do not depend on
# how loaded the machine is:
#   cpu   - servers run natively; CPU time per request of the server process and of its
#           PostgreSQL backends (from /proc/<pid>/task/*/schedstat), after a warm-up, and
#           the server's context switches per request (`perf stat`, where available).
#           CPU time includes the kernel's share but moves with the machine's load.
#   cg    - servers run under `valgrind --tool=callgrind`; the counters are zeroed after a
#           warm-up and dumped after N requests, so each dump holds exactly N requests.
#           benches/profile_report.py turns the dumps into instructions per request and a
#           breakdown by component.
#
# Usage: benches/profile.sh [cpu|cg|all]   (build first: cargo build --release -p gatehouse
#        -p gatehouse-benches). Output in $PROFILE_OUT (default target/profile).
# Env: PROFILE_N (requests per phase, default 2000), PROFILE_LOGINS (default 20; each login
#      runs an Argon2id hash, about a second under callgrind), GATEHOUSE_BENCH_POSTGRES_URL.
set -euo pipefail

MODE=${1:-all}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
GATEHOUSE=$TARGET/release/gatehouse
BENCH=$TARGET/release/gatehouse-bench
CLIENT="python3 $ROOT/benches/profile_client.py"
ADMIN_URL=${GATEHOUSE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
N=${PROFILE_N:-2000}
LOGINS=${PROFILE_LOGINS:-20}
OUT=${PROFILE_OUT:-$TARGET/profile}
EMAIL=profile@example.com
PASSWORD='profile-Passw0rd-long-enough'

mkdir -p "$OUT"
WORK=$(mktemp -d)
DB=gh_profile_$(date +%s)_$$
DB_URL="${ADMIN_URL%/*}/$DB?sslmode=disable"
SERVER_PID=

cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() { # url, seconds
    for _ in $(seq 1 $(($2 * 10))); do
        curl -fs -o /dev/null "$1/readyz" && return 0
        sleep 0.1
    done
    echo "server at $1 not ready; log:" >&2
    tail -20 "$WORK"/*.log >&2
    return 1
}

# CPU nanoseconds of a process (all threads) plus of the database's PostgreSQL backends.
cpu_ns() { # pid
    local server=0 pg=0 t
    for t in /proc/"$1"/task/*/schedstat; do server=$((server + $(cut -d' ' -f1 "$t"))); done
    for p in $(psql -Atq "$ADMIN_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'"); do
        [[ -r /proc/$p/schedstat ]] && pg=$((pg + $(cut -d' ' -f1 /proc/"$p"/schedstat)))
    done
    echo "$server $pg"
}

# Run "$@" (a client call of $count requests) and record CPU per request under label.
measure_cpu() { # label count cmd...
    local label=$1 count=$2
    shift 2
    local before after perf_pid switches=0
    if perf stat -e context-switches true >/dev/null 2>&1; then
        perf stat -x, -e context-switches -p "$SERVER_PID" -o "$WORK/perf.csv" &
        perf_pid=$!
        sleep 0.2
    fi
    before=$(cpu_ns "$SERVER_PID")
    "$@" >/dev/null
    after=$(cpu_ns "$SERVER_PID")
    if [[ -n ${perf_pid:-} ]]; then
        kill -INT "$perf_pid" && wait "$perf_pid" || true
        switches=$(grep context-switches "$WORK/perf.csv" | cut -d, -f1)
    fi
    python3 - "$label" "$count" $before $after "$switches" <<'EOF' | tee -a "$OUT/cpu.txt"
import sys
label, n, s0, p0, s1, p1, cs = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
print(f"{label:<10} server {(s1-s0)/n/1000:8.1f} us/req   postgres {(p1-p0)/n/1000:8.1f} us/req"
      f"   server context switches {cs/n:5.2f}/req")
EOF
}

# Zero the callgrind counters, run the client, dump them as $OUT/<label>.callgrind.
measure_cg() { # label cmd...
    local label=$1
    shift
    callgrind_control -z "$SERVER_PID" >/dev/null
    "$@" >/dev/null
    callgrind_control -d "$label" "$SERVER_PID" >/dev/null
    local dump
    dump=$(ls -t "$WORK"/cg.out.* | head -1)
    mv "$dump" "$OUT/$label.callgrind"
}

start() { # name, wrapper ("" or "cg"), cmd...
    local name=$1 wrap=$2
    shift 2
    local -a pre=()
    if [[ $wrap == cg ]]; then
        pre=(valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out.%p" --dump-instr=no --compress-strings=no)
    fi
    "${pre[@]}" "$@" >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
}

stop() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    rm -f "$WORK"/cg.out.*
}

run() { # wrap ("" or "cg")
    local wrap=$1 port url tokens access refresh
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null

    port=$(free_port)
    url=http://127.0.0.1:$port
    GATEHOUSE_DATABASE_URL=$DB_URL GATEHOUSE_LISTEN=127.0.0.1:$port \
        GATEHOUSE_DATA_DIR=$WORK/data GATEHOUSE_LOG__FORMAT=json \
        start gatehouse "$wrap" "$GATEHOUSE" serve
    wait_ready "$url" 600
    tokens=$($CLIENT "$url" setup "$EMAIL" "$PASSWORD")
    access=$(jq -r .access_token <<<"$tokens")
    refresh=$(jq -r .refresh_token <<<"$tokens")
    $CLIENT "$url" me 100 "$access" >/dev/null
    refresh=$($CLIENT "$url" refresh 50 "$refresh")
    if [[ $wrap == cg ]]; then
        measure_cg me $CLIENT "$url" me "$N" "$access"
        measure_cg refresh $CLIENT "$url" refresh "$N" "$refresh"
        measure_cg login $CLIENT "$url" login "$LOGINS" "$EMAIL" "$PASSWORD"
    else
        measure_cpu me "$N" $CLIENT "$url" me "$N" "$access"
        measure_cpu refresh "$N" $CLIENT "$url" refresh "$N" "$refresh"
        measure_cpu login "$LOGINS" $CLIENT "$url" login "$LOGINS" "$EMAIL" "$PASSWORD"
    fi
    stop

    port=$(free_port)
    url=http://127.0.0.1:$port
    start bare "$wrap" "$BENCH" serve-bare-lookup --database-url "$DB_URL" \
        --listen "127.0.0.1:$port" --pool-size 16
    wait_ready "$url" 600
    $CLIENT "$url" bare 100
    if [[ $wrap == cg ]]; then
        measure_cg bare $CLIENT "$url" bare "$N"
    else
        measure_cpu bare "$N" $CLIENT "$url" bare "$N"
    fi
    stop
}

echo "# $(git -C "$ROOT" rev-parse --short HEAD) $(date -u +%FT%TZ) N=$N logins=$LOGINS" >>"$OUT/cpu.txt"
case $MODE in
cpu) run "" ;;
cg) run cg ;;
all) run "" && run cg ;;
*) echo "usage: $0 [cpu|cg|all]" >&2 && exit 2 ;;
esac
if [[ $MODE != cpu ]]; then
    python3 "$ROOT/benches/profile_report.py" "$OUT" "$N" "$LOGINS" | tee "$OUT/report.txt"
fi
