#!/usr/bin/env bash
# tollgate consistency beside reladiff and data-diff (PyPI) on the same two databases of a
# throwaway PostgreSQL server (scripts/test-postgres): an orders table (bigint key, uuid, text,
# numeric, timestamptz) of ROWS rows per side, then each case's differences on the target:
#   none    the tables are identical
#   300     100 rows missing, 100 extra, 100 changed
#   dense   1 % of the rows changed, spread over the whole table
# Each tool runs RUNS times per case, both tables in the server's cache before every run; every
# tool's counts are checked against what was seeded. Also printed: the physical floor, the
# server's CPU for hashing both tables once divided by the cores.
#   benchmarks/consistency.sh [ROWS, default 1000000] [CASES, default "none 300 dense"] [RUNS, default 2]
# PEERS="reladiff" (default) chooses the peers; PEERS="reladiff data-diff" adds data-diff where it
# installs (its dbt-core dependency downloads a wheel from GitHub while installing); PEERS=""
# runs tollgate alone.
# RELADIFF_THREADS (default 1, reladiff's own default) is reladiff's and data-diff's --threads;
# TOLLGATE_ARGS adds arguments to tollgate's (e.g. "--parallel 2").
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
cases=${2:-none 300 dense}
runs=${3:-2}
peers=${PEERS-reladiff}
threads=${RELADIFF_THREADS:-1}
tollgate=.build/release/tollgate
[ -x "$tollgate" ] || swift build -c release --product tollgate >/dev/null
for peer in $peers; do
  venv=.venv-$peer
  case $peer in
    reladiff) package="reladiff[postgresql]==0.6.0" ;;
    data-diff) package="data-diff[postgresql]==0.11.2" ;;
    *) echo "unknown peer $peer" >&2; exit 2 ;;
  esac
  [ -x "$venv/bin/$peer" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "$package"; } >&2
done
export TOLLGATE_TEST_PG_PORT=${TOLLGATE_TEST_PG_PORT:-55439}
export PGOPTIONS="-c client_min_messages=warning"
url=$(scripts/test-postgres start)
trap 'scripts/test-postgres stop >/dev/null 2>&1 || true' EXIT
base=${url%/postgres\?*}
# The server trusts local connections (scripts/test-postgres): psql needs no password.
run_sql() { psql -q -v ON_ERROR_STOP=1 "$base/$1?sslmode=disable" -c "$2" >/dev/null; }
for db in bench_source bench_target; do run_sql postgres "DROP DATABASE IF EXISTS $db"; done
run_sql postgres "CREATE DATABASE bench_source"
run_sql bench_source "CREATE TABLE orders (id bigint PRIMARY KEY, user_id uuid, status text, total numeric(12,2), created_at timestamptz)"
started=$(date +%s.%N)
run_sql bench_source "INSERT INTO orders SELECT n, md5(n::text)::uuid, 'confirmed', n % 1000 + 0.99, timestamptz '2026-01-01' + n * interval '1 second' FROM generate_series(1, $rows) n"
run_sql bench_source "VACUUM ANALYZE orders"
echo "seeded $rows rows in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s; $(nproc) cores; peers: ${peers:-none} (threads $threads)"

python3 - "$tollgate" "$base" "$rows" "$runs" "$threads" "$peers" "${TOLLGATE_ARGS:-}" $cases <<'PY'
import json, os, subprocess, sys, tempfile, time
tollgate, base, rows, runs, threads, peers, extra = sys.argv[1:8]
rows, runs, cases, peers, extra = int(rows), int(runs), sys.argv[8:], peers.split(), extra.split()
src, dst = f"{base}/bench_source?sslmode=disable", f"{base}/bench_target?sslmode=disable"

def sql(db, statement):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{base}/{db}?sslmode=disable", "-c", statement], check=True, stdout=subprocess.DEVNULL)

def seed(case):
    """The target: a copy of the source, then the case's differences. Returns (missing, extra, changed)."""
    sql("postgres", "DROP DATABASE IF EXISTS bench_target")
    sql("postgres", "CREATE DATABASE bench_target TEMPLATE bench_source")
    step = rows // 100
    if case == "none":
        expected = (0, 0, 0)
    elif case == "300":
        sql("bench_target", f"DELETE FROM orders WHERE id % {step} = 1")
        sql("bench_target", f"INSERT INTO orders SELECT {rows} + n, NULL, 'confirmed', 1, now() FROM generate_series(1, 100) n")
        sql("bench_target", f"UPDATE orders SET status = 'cancelled' WHERE id % {step} = 2")
        expected = (100, 100, 100)
    elif case == "dense":
        sql("bench_target", "UPDATE orders SET status = 'cancelled' WHERE id % 100 = 3")
        expected = (0, 0, rows // 100)
    else:
        sys.exit(f"unknown case {case}")
    sql("bench_target", "VACUUM ANALYZE orders")
    return expected

def warm():
    for db in ("bench_source", "bench_target"):
        sql(db, "CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        sql(db, "SELECT pg_prewarm('orders'), pg_prewarm('orders_pkey')")

def server_seconds():
    """CPU seconds (user + system) of every postgres process so far."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return total

def timed(command):
    """Runs command: its output, wall time, own CPU seconds and peak MiB (wait4), and the server's CPU seconds meanwhile."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        server_before, started = server_seconds(), time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=dict(os.environ, PYTHONWARNINGS="ignore", COLUMNS="10000"))
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        server = server_seconds() - server_before
        out.seek(0); err.seek(0)
        done = subprocess.CompletedProcess(command, os.waitstatus_to_exitcode(status), out.read(), err.read())
    return done, (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, server)

def tollgate_run():
    report = "/tmp/tollgate-consistency-bench.json"
    done, figures = timed([tollgate, "consistency", "--source", src, "--target", dst, "--table", "orders", "--key", "id",
                            "--rechecks", "0", "--json", report] + extra)
    if done.returncode not in (0, 1):
        sys.exit(f"tollgate failed: {done.stderr}")
    c = json.load(open(report))["comparisons"][0]
    return (c["missing_in_target"], c["missing_in_source"], c["differing"]), figures

def peer_run(peer):
    done, figures = timed([f".venv-{peer}/bin/{peer}", src, "orders", dst, "orders", "-k", "id", "-c", "user_id", "-c", "status",
                            "-c", "total", "-c", "created_at", "-s", "--json", "--threads", threads])
    if done.returncode != 0:
        sys.exit(f"{peer} failed: {done.stderr[-2000:]}")
    # Its console wraps long lines: the JSON is the output without line breaks.
    stats = json.loads(done.stdout.replace("\n", ""))
    return (stats["exclusive_A"], stats["exclusive_B"], stats["updated"]), figures

def floor():
    """Server CPU to hash both tables once as tollgate does (one backend each, in turn), divided by the cores."""
    row = "ROW(id::text, user_id::text, status::text, trim_scale(total::numeric)::text, (created_at AT TIME ZONE 'UTC')::text)::text"
    seconds = 0
    for db in ("bench_source", "bench_target"):
        started = time.monotonic()
        sql(db, f"SET max_parallel_workers_per_gather = 0; SELECT sum(hashtextextended({row} COLLATE \"C\", 0)) FROM orders")
        seconds += time.monotonic() - started
    return seconds / os.cpu_count()

tools = [("tollgate", tollgate_run)] + [(peer, lambda peer=peer: peer_run(peer)) for peer in peers]
print(f"\n| rows per side | case | tool | wall s (each run) | tool CPU s | tool max MiB | server CPU s | found (missing, extra, changed) |")
print("|---:|---|---|---|---:|---:|---:|---|")
for case in cases:
    expected = seed(case)
    warm()
    lowest = {}
    for name, run in tools:
        walls, cpus, mems, servers, found = [], [], [], [], set()
        for _ in range(runs):
            warm()
            counts, (wall, cpu, mem, server) = run()
            walls.append(wall); cpus.append(cpu); mems.append(mem); servers.append(server); found.add(counts)
        exact = found == {expected}
        lowest[name] = min(walls)
        print(f"| {rows:,} | {case} | {name} | {' / '.join(f'{w:.2f}' for w in walls)} | {min(cpus):.2f} | {max(mems):.1f} | {min(servers):.1f} | "
              f"{'exactly ' if exact else 'WRONG: '}{sorted(found)} |", flush=True)
    ratios = ", ".join(f"{lowest['tollgate'] / lowest[p]:.2f}× {p}'s" for p in peers)
    print(f"|  | {case} | floor | {floor():.2f} (hashing both tables once ÷ cores) | | | | tollgate's best wall time: {ratios or '—'} |", flush=True)
PY
