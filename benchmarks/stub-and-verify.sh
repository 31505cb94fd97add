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

wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done; echo "nothing on port $1" >&2; exit 2; }
rps() { wrk -t2 -c32 -d"${duration}s" -s benchmarks/stub-random.lua "http://127.0.0.1:$1" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx:", $NF > "/dev/stderr"}'; }

echo "== stub: 50 interactions, wrk -t2 -c32 -d${duration}s, requests spread over all of them"
$tollgate stub "$work/stub-50.json" --port 19301 --quiet >/dev/null &
pids+=($!); wait_port 19301
ours=$(rps 19301)
# pact stub listens on every interface: keep it short-lived.
$pact stub -p 19302 -f "$work/stub-50.json" >/dev/null 2>&1 &
pids+=($!); wait_port 19302
theirs=$(rps 19302)
kill "${pids[@]}" 2>/dev/null || true
printf "tollgate stub   %10s req/s\npact stub       %10s req/s\nratio           %10.2f x\n" "$ours" "$theirs" "$(python3 -c "print($ours/$theirs)")"

echo "== verify: 1,000 interactions against the reference catalog service"
$tollgate services run catalog --port 19303 --seed-products 50 >/dev/null 2>&1 &
pids+=($!); wait_port 19303
time_it() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1; local rc=$?; local end=$(date +%s.%N); python3 -c "print(f'{$end-$start:.2f}')"; return $rc; }
best() { local b=999; for _ in 1 2 3; do t=$(time_it "$@") || { echo "failed: $*" >&2; exit 1; }; b=$(python3 -c "print(min($b,$t))"); done; echo "$b"; }
ours=$(best $tollgate verify "$work/verify-1000.json" --provider-base-url http://127.0.0.1:19303)
theirs=$(best $pact verifier -f "$work/verify-1000.json" -h 127.0.0.1 -p 19303 -n catalog-service)
printf "tollgate verify %8s s\npact verifier   %8s s\nratio           %8.2f x faster\n" "$ours" "$theirs" "$(python3 -c "print($theirs/$ours)")"
