#!/usr/bin/env bash
# Run the README walk-through, exactly as written, against a fresh gatehouse on SQLite
# and on PostgreSQL. Usage: scripts/check-readme.sh [path/to/gatehouse]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/gatehouse}")"
admin="${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
block="$(sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md | sed '1,2d;$d' | sed '$d')"

run_on() {
  local label="$1" url="$2" work port out pid
  work="$(mktemp -d)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  (cd "$work" && exec env -u GATEHOUSE_TEST_POSTGRES_URL GATEHOUSE_LISTEN="127.0.0.1:$port" ${url:+GATEHOUSE_DATABASE_URL="$url"} \
     "$bin" serve >"$work/server.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.1; done
  out="$(cd "$work" && bash -euo pipefail -c "${block//localhost:8080/localhost:$port}")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  for expected in '"email": "ada@example.com"' '"email_verified": true' '"username": "ada"' '"current": true' '"name": "Ada laptop"' 'New sign-in to your gatehouse account' '204' 'mfa_required' '{"status":"authenticated"}' '"unauthenticated"'; do
    if ! grep -qF -- "$expected" <<<"$out"; then
      echo "README walk-through on $label: expected $expected in:"; echo "$out"; exit 1
    fi
  done
  if [ "$(grep -cF '{"status":"authenticated"}' <<<"$out")" != 2 ]; then
    echo "README walk-through on $label: expected two second-step sign-ins in:"; echo "$out"; exit 1
  fi
  rm -rf "$work"
  echo "README walk-through works on $label"
}

run_on SQLite ""
db="gh_readme_$(date +%s%N)"
base="${admin%/*}"
psql "$admin" -qc "CREATE DATABASE $db"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
run_on PostgreSQL "$base/$db"
