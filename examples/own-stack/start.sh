#!/usr/bin/env bash
# Starts the example stack on 127.0.0.1: the Flask monolith (gunicorn), the FastAPI catalog
# service (uvicorn), each with its own PostgreSQL database seeded with the same 50 products
# under different column names, nginx splitting clients between them (0 % to start), and
# Debian's Prometheus scraping both.
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres examples/own-stack/start.sh
# Prints the environment the gate file reads; writes it to $OWN_STACK_STATE/env too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server the example may create two databases on}"
state="${OWN_STACK_STATE:-/tmp/own-stack}"
venv="${OWN_STACK_VENV:-$here/.venv}"
front="${FRONT_PORT:-8080}" monolith="${MONOLITH_PORT:-5100}" catalog="${CATALOG_PORT:-5200}" prometheus_port="${PROMETHEUS_PORT:-9095}"
key="${OWN_STACK_STATE_KEY:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"

if [ ! -x "$venv/bin/uvicorn" ] || [ ! -x "$venv/bin/gunicorn" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
"$here/stop.sh" >/dev/null 2>&1 || true
mkdir -p "$state/nginx"
rm -f "$state/fault"

# Each side's database: the same products, other table and column names.
database() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$DATABASE_URL" "$1"; }
legacy_db="$(database own_legacy)" catalog_db="$(database own_catalog)"
for name in own_legacy own_catalog; do
  psql -q "$DATABASE_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
done
psql -q "$legacy_db" -c "CREATE TABLE product (prod_id integer PRIMARY KEY, title text NOT NULL, price_cents integer NOT NULL, stock integer NOT NULL);
  INSERT INTO product SELECT n, 'Product ' || n, 500 + n * 37, 10 + n FROM generate_series(1, 50) AS n;" >/dev/null
psql -q "$catalog_db" -c "CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL, quantity integer NOT NULL);
  INSERT INTO items SELECT n, 'Product ' || n, (500 + n * 37) / 100.0, 10 + n FROM generate_series(1, 50) AS n;" >/dev/null

export LEGACY_DATABASE_URL="$legacy_db" CATALOG_DATABASE_URL="$catalog_db" OWN_STACK_STATE="$state" OWN_STACK_STATE_KEY="$key"
"$venv/bin/gunicorn" --workers 1 --threads 16 --bind "127.0.0.1:$monolith" --chdir "$here" --pid "$state/monolith.pid" \
  --daemon --error-logfile "$state/monolith.log" monolith:app
nohup "$venv/bin/uvicorn" --app-dir "$here" --host 127.0.0.1 --port "$catalog" --no-access-log catalog:app > "$state/catalog.log" 2>&1 &
echo $! > "$state/catalog.pid"

sed -e "s|@STATE@|$state|g" -e "s|@FRONT_PORT@|$front|g" -e "s|@MONOLITH_PORT@|$monolith|g" -e "s|@CATALOG_PORT@|$catalog|g" \
  "$here/nginx.conf.template" > "$state/nginx.conf"
echo "$front" > "$state/front-port"
printf 'split_clients "${remote_addr}" $backend {\n    * monolith;\n}\nmap "" $split_percent { default "0"; }\n' > "$state/split.conf"
echo 0 > "$state/percent"
nginx -p "$state/nginx" -e "$state/nginx/error.log" -c "$state/nginx.conf"

# Debian's Prometheus scraping both apps' own exporters every second.
cat > "$state/prometheus.yml" <<PROM
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - {job_name: monolith, static_configs: [{targets: ["127.0.0.1:$monolith"]}]}
  - {job_name: catalog, static_configs: [{targets: ["127.0.0.1:$catalog"]}]}
PROM
rm -rf "$state/prometheus-data"
nohup prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prometheus-data" \
  --web.listen-address="127.0.0.1:$prometheus_port" > "$state/prometheus.log" 2>&1 &
echo $! > "$state/prometheus.pid"

for url in "http://127.0.0.1:$monolith/health" "http://127.0.0.1:$catalog/health" "http://127.0.0.1:$front/_split" "http://127.0.0.1:$prometheus_port/-/ready"; do
  for _ in $(seq 1 100); do curl -fs "$url" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "$url" >/dev/null || { echo "start.sh: $url does not answer (logs in $state)" >&2; exit 1; }
done

# Prometheus applies its targets a few seconds after it is ready: wait until both apps were scraped.
for _ in $(seq 1 150); do
  [ "$(curl -fs "http://127.0.0.1:$prometheus_port/api/v1/query?query=count(up==1)" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)" = "2" ] && break
  sleep 0.1
done

cat > "$state/env" <<ENV
export OWN_STACK="$here" OWN_STACK_STATE="$state" OWN_STACK_STATE_KEY="$key"
export FRONT_URL="http://127.0.0.1:$front" MONOLITH_URL="http://127.0.0.1:$monolith" CATALOG_URL="http://127.0.0.1:$catalog"
export LEGACY_DATABASE_URL="$legacy_db" CATALOG_DATABASE_URL="$catalog_db" PROMETHEUS_URL="http://127.0.0.1:$prometheus_port"
ENV
cat "$state/env"
