#!/usr/bin/env bash
# tollgate stub vs the Pact reference stub server (`pact stub`), and tollgate verify vs the
# Pact reference verifier (`pact verifier`), in the same run on the same machine.
#   benchmarks/stub-and-verify.sh [seconds per wrk run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
export PACT_DO_NOT_TRACK=true
duration=${1:-10}
tollgate=.build/release/tollgate
[ -x "$tollgate" ] || swift build -c release --product tollgate >/dev/null
if [ ! -x .venv-pact/bin/pact ]; then python3 -m venv .venv-pact && .venv-pact/bin/pip install -q pact-python-cli; fi
pact=.venv-pact/bin/pact
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
python3 benchmarks/make-pacts.py "$work"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done; echo "nothing on port $1" >&2; exit 2; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Runs wrk against a stub (port, pid, wrk threads, extra wrk args) and prints "requests/s CPU-µs-per-request".
measure() {
  local port=$1 pid=$2 threads=$3; shift 3
  local before; before=$(cpu_ticks "$pid")
  local out; out=$(wrk -t"$threads" -c50 -d"${duration}s" "$@" "http://127.0.0.1:$port/api/v1/items/1")
  local after; after=$(cpu_ticks "$pid")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers on port $port:" >&2; echo "$out" >&2; exit 1; fi
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local requests; requests=$(awk '/requests in/ {print $1}' <<<"$out")
  python3 -c "print($rps, round(($after - $before) / $(getconf CLK_TCK) * 1e6 / $requests, 1))"
}
# Serves PACT with tollgate stub and with pact stub, one after the other, under the same load
# (wrk with THREADS threads, 50 connections).
compare() {
  local label=$1 pact_file=$2 threads=$3; shift 3
  echo "== stub: $label, wrk -t$threads -c50 -d${duration}s"
  $tollgate stub "$pact_file" --port 19301 --quiet >/dev/null &
  local ours_pid=$!; pids+=("$ours_pid"); wait_port 19301
  read -r ours ours_cpu < <(measure 19301 "$ours_pid" "$threads" "$@")
  kill "$ours_pid"
  # pact stub listens on every interface: keep it short-lived.
  $pact stub -p 19302 -f "$pact_file" >/dev/null 2>&1 &
  local their_pid=$!; pids+=("$their_pid"); wait_port 19302
  read -r theirs theirs_cpu < <(measure 19302 "$their_pid" "$threads" "$@")
  kill "$their_pid"
  printf "tollgate stub   %10s req/s %8s µs CPU/request\npact stub       %10s req/s %8s µs CPU/request\nratio           %10.2f x requests/s, %.2f x CPU per request\n" \
    "$ours" "$ours_cpu" "$theirs" "$theirs_cpu" "$(python3 -c "print($ours/$theirs)")" "$(python3 -c "print($ours_cpu/$theirs_cpu)")"
}

compare "1 interaction (GET /api/v1/items/1)" "$work/stub-1.json" 1
compare "1 interaction (GET /api/v1/items/1)" "$work/stub-1.json" 2
compare "50 interactions, requests spread over all of them" "$work/stub-50.json" 2 -s benchmarks/stub-random.lua

echo "== verify: 1,000 interactions against the reference catalog service"
$tollgate services run catalog --port 19303 --seed-products 50 >/dev/null 2>&1 &
pids+=($!); wait_port 19303
time_it() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1; local rc=$?; local end=$(date +%s.%N); python3 -c "print(f'{$end-$start:.2f}')"; return $rc; }
best() { local b=999; for _ in 1 2 3; do t=$(time_it "$@") || { echo "failed: $*" >&2; exit 1; }; b=$(python3 -c "print(min($b,$t))"); done; echo "$b"; }
ours=$(best $tollgate verify "$work/verify-1000.json" --provider-base-url http://127.0.0.1:19303)
theirs=$(best $pact verifier -f "$work/verify-1000.json" -h 127.0.0.1 -p 19303 -n catalog-service)
printf "tollgate verify %8s s\npact verifier   %8s s\nratio           %8.2f x faster\n" "$ours" "$theirs" "$(python3 -c "print($theirs/$ours)")"
