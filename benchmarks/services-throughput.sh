#!/usr/bin/env bash
# Throughput of the reference services, measured with wrk on loopback:
#   - GET /api/v1/products/:id directly on the catalog, and through the gateway
#   - GET /health on the catalog (the framework's floor: same server, no work), the peer the
#     figures above are compared with
#   - POST /api/v1/orders through the gateway (the whole saga), in-memory and PostgreSQL stores
# Usage: benchmarks/services-throughput.sh [seconds per run, default 10] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
bin=.build/release/tollgate
[ -x "$bin" ] || swift build -c release --product tollgate >/dev/null
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

base=18000
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; scripts/test-postgres stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

start_stack() { # $1 = extra flags
  local log=$(mktemp)
  $bin services up --gateway-port $base --user-port $((base+1)) --catalog-port $((base+2)) --order-port $((base+3)) \
    --payment-port $((base+4)) --provider-port $((base+5)) --seed-products 20 $1 >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do grep -q "Ctrl-C stops" "$log" && break; sleep 0.5; done
  grep -q "Ctrl-C stops" "$log" || { cat "$log"; exit 1; }
  token=$(grep "Admin token:" "$log" | awk '{print $3}')
  for id in $(seq 1 20); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$((base+2))/api/v1/products/$id/inventory" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"stock_quantity": 1000000}'
  done
}

rps() { # wrk output -> requests/sec
  awk '/Requests\/sec/ {print $2}'
}

run() { # label, url, [script]
  local out
  if [ -n "${3:-}" ]; then
    out=$(TOKEN=$token PRODUCTS=20 wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$3" "$2")
  else
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$2")
  fi
  local r=$(echo "$out" | rps)
  local p50=$(echo "$out" | awk '/ 50%/ {print $2}')
  local p99=$(echo "$out" | awk '/ 99%/ {print $2}')
  local bad=$(echo "$out" | awk '/Non-2xx|non-2xx/ {print $NF}')
  printf "%-44s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n" "$1" "$r" "$p50" "$p99" "${bad:-0}"
  echo "$r"
}

echo "wrk -t2 -c$connections -d${duration}s, $(nproc) cores, $(date -u +%Y-%m-%d)"
start_stack ""
health=$(run "GET /health (catalog, the floor)" "http://127.0.0.1:$((base+2))/health" | tee /dev/stderr | tail -1)
direct=$(run "GET /api/v1/products/7 (catalog)" "http://127.0.0.1:$((base+2))/api/v1/products/7" | tee /dev/stderr | tail -1)
gateway=$(run "GET /api/v1/products/7 (via gateway)" "http://127.0.0.1:$base/api/v1/products/7" | tee /dev/stderr | tail -1)
orders_mem=$(run "POST /api/v1/orders (gateway, in-memory)" "http://127.0.0.1:$base" benchmarks/order-post.lua | tee /dev/stderr | tail -1)
kill -INT "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

url=$(TOLLGATE_TEST_PG_PORT=55433 scripts/test-postgres start)
start_stack "--database-url ${url%%\?*}"
orders_pg=$(run "POST /api/v1/orders (gateway, PostgreSQL)" "http://127.0.0.1:$base" benchmarks/order-post.lua | tee /dev/stderr | tail -1)
TOLLGATE_TEST_PG_PORT=55433 scripts/test-postgres stop

python3 - "$health" "$direct" "$gateway" "$orders_mem" "$orders_pg" <<'PY'
import sys
h, d, g, om, op = map(float, sys.argv[1:])
print(f"\nproduct by id, direct:      {d/h:.2f} x the /health floor")
print(f"product by id, via gateway: {g/d:.2f} x direct")
print(f"orders/s in-memory {om:.0f}, PostgreSQL {op:.0f} ({op/om:.2f} x in-memory)")
PY
