#!/usr/bin/env bash
# tollgate consistency on 1,000,000 rows per side (two databases on a throwaway PostgreSQL
# server from scripts/test-postgres), with 100 rows missing, 100 extra and 100 differing.
#   benchmarks/consistency.sh [rows, default 1000000] [batch, default 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
batch=${2:-10000}
tollgate=.build/release/tollgate
[ -x "$tollgate" ] || swift build -c release --product tollgate >/dev/null
export TOLLGATE_TEST_PG_PORT=${TOLLGATE_TEST_PG_PORT:-55439}
url=$(scripts/test-postgres start)
trap 'scripts/test-postgres stop >/dev/null 2>&1 || true' EXIT
base=${url%/postgres\?*}
# The server trusts local connections (scripts/test-postgres): psql needs no password.
run_sql() { psql -q -v ON_ERROR_STOP=1 "$base/$1?sslmode=disable" -c "$2" >/dev/null; }
for db in bench_source bench_target; do run_sql postgres "DROP DATABASE IF EXISTS $db"; run_sql postgres "CREATE DATABASE $db"; done
schema="CREATE TABLE orders (id bigint PRIMARY KEY, user_id uuid, status text, total numeric(12,2), created_at timestamptz)"
fill="INSERT INTO orders SELECT n, md5(n::text)::uuid, 'confirmed', n % 1000 + 0.99, timestamptz '2026-01-01' + n * interval '1 second' FROM generate_series(1, $rows) n"
start=$(date +%s.%N)
run_sql bench_source "$schema"; run_sql bench_source "$fill"
run_sql bench_target "$schema"; run_sql bench_target "$fill"
run_sql bench_target "DELETE FROM orders WHERE id % ($rows / 100) = 1"
run_sql bench_target "INSERT INTO orders SELECT $rows + n, NULL, 'confirmed', 1, now() FROM generate_series(1, 100) n"
run_sql bench_target "UPDATE orders SET status = 'cancelled' WHERE id % ($rows / 100) = 2"
echo "seeded $rows rows per side in $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
for side in source target; do run_sql bench_$side "VACUUM ANALYZE orders"; done
# Wall time and the comparer's own memory (getrusage of the child); the digests are computed by PostgreSQL.
python3 - "$tollgate" "$base" "$batch" <<'PY'
import resource, subprocess, sys, time
tollgate, base, batch = sys.argv[1:]
started = time.monotonic()
done = subprocess.run([tollgate, "consistency", "--source", f"{base}/bench_source?sslmode=disable", "--target", f"{base}/bench_target?sslmode=disable",
                       "--table", "orders", "--key", "id", "--batch", batch], capture_output=True, text=True)
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.stdout, end="")
print(f"exit {done.returncode}; {wall:.2f} s wall, tollgate {usage.ru_utime + usage.ru_stime:.2f} s CPU, {usage.ru_maxrss / 1024:.0f} MiB max resident")
PY
