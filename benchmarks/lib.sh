# Shared by the load benchmarks (sourced): needs $work (a scratch folder), $tollgate,
# $connections and $duration set by the script.

# Runs a command, writes its user+system CPU seconds to $work/cpu and max RSS (KiB) to $work/rss.
measured() {
  python3 - "$work" "$@" <<'PY'
import resource, subprocess, sys
work, command = sys.argv[1], sys.argv[2:]
done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
open(f"{work}/cpu", "w").write(f"{usage.ru_utime + usage.ru_stime}\n")
open(f"{work}/rss", "w").write(f"{usage.ru_maxrss}\n")
sys.stdout.write(done.stdout)
sys.exit(done.returncode)
PY
}

# wrk and `tollgate load --vus $connections` against URL, alternately, RUNS times each; prints
# each pair and the medians (requests/s and CPU per request, tollgate ÷ wrk) against the goals.
#   wrk_pairs URL RUNS "GOALS TEXT" [extra tollgate load flags...]
wrk_pairs() {
  local url=$1 runs=$2 goals=$3; shift 3
  local pairs=() out wrk_requests wrk_cpu
  for _ in $(seq 1 "$runs"); do
    out=$(measured wrk -t2 -c$connections -d${duration}s "$url")
    wrk_requests=$(awk '/requests in/ {print $1}' <<<"$out"); wrk_cpu=$(cat "$work/cpu")
    measured "$tollgate" load --url "$url" --vus $connections --duration ${duration}s --slo 'error_rate<1%' --quiet --json "$work/pair.json" "$@" >/dev/null
    pairs+=("$wrk_requests $wrk_cpu $(python3 -c "import json; s=json.load(open('$work/pair.json'))['summary']; print(s['requests'], s['duration_s'])") $(cat "$work/cpu")")
  done
  python3 - "$duration" "$goals" "${pairs[@]}" <<'PY'
import statistics, sys
duration, goals = float(sys.argv[1]), sys.argv[2]
rates, cpus = [], []
for pair in sys.argv[3:]:
    wrk_requests, wrk_cpu, requests, seconds, cpu = map(float, pair.split())
    wrk_us, our_us = wrk_cpu / wrk_requests * 1e6, cpu / requests * 1e6
    rates.append((requests / seconds) / (wrk_requests / duration))
    cpus.append(our_us / wrk_us)
    print(f"wrk {wrk_requests / duration:9.0f} req/s {wrk_us:5.2f} µs   tollgate {requests / seconds:9.0f} req/s {our_us:5.2f} µs   "
          f"{rates[-1]:.2f}x the requests/s, {cpus[-1]:.2f}x the CPU per request")
print(f"median: {statistics.median(rates):.2f}x wrk's requests/s, {statistics.median(cpus):.2f}x its CPU per request ({goals})")
PY
}
