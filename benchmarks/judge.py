#!/usr/bin/env python3
"""The canary judge's cost: 10 latency metrics over N requests per path.

Writes two tollgate.load/v1 results (baseline and canary: 10 request names, N log-normal
latencies each, the canary's 5 % slower), times `tollgate judge` on them (the judging alone,
as the command reports it, and the whole command), and times the peer in the same run:
scipy.stats.mannwhitneyu on the raw samples, metric by metric.

    .venv-scipy/bin/python benchmarks/judge.py [--requests 1000000] [--tollgate .build/release/tollgate]
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

import numpy as np
from scipy.stats import mannwhitneyu

NAMES = [f"route {n}" for n in range(10)]


def histogram(samples_ms):
    micros = np.maximum(1, np.round(samples_ms * 1000)).astype(np.int64)
    # Three significant digits, as the load engine's HdrHistogram keeps them.
    digits = np.floor(np.log10(micros)).astype(np.int64)
    scale = np.where(digits > 2, 10 ** (digits - 2), 1)
    quantized = (micros // scale) * scale
    values, counts = np.unique(quantized, return_counts=True)
    return {"unit": "us", "digits": 3, "min": int(values[0]), "max": int(values[-1]),
            "buckets": [[int(v), int(c)] for v, c in zip(values, counts)]}


def stats(samples_ms):
    h = histogram(samples_ms)
    return {"requests": len(samples_ms), "errors": 0, "unanswered": 0, "statuses": {"200": len(samples_ms)},
            "latency_histogram": h, "raw_latency_histogram": h}


def result(path, samples):
    empty = {"unit": "us", "digits": 3, "min": 0, "max": 0, "buckets": []}
    everything = np.concatenate(list(samples.values()))
    metrics = {"total": stats(everything), "by_name": {name: stats(s) for name, s in samples.items()}, "by_tag": {},
               "errors": {}, "checks": {}, "iterations": len(everything), "dropped_iterations": 0, "unfinished": 0,
               "scheduler_lateness_histogram": empty, "time_series": {"interval": 1, "points": []}}
    run = {"profile": "bench", "target": "http://127.0.0.1:9", "started_at": "2026-12-07T00:00:00Z", "ended_at": "2026-12-07T00:01:00Z",
           "duration_s": 60, "tollgate_version": "bench", "host": "bench", "shard": "1/1", "merged_from": [], "scenarios": [], "aborted": False}
    with open(path, "w") as f:
        json.dump({"schema_version": "tollgate.load/v1", "run": run, "slos": [], "metrics": metrics}, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--tollgate", default=".build/release/tollgate")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    baseline = {name: rng.lognormal(np.log(80), 0.4, args.requests) for name in NAMES}
    canary = {name: rng.lognormal(np.log(84), 0.4, args.requests) for name in NAMES}
    folder = tempfile.mkdtemp(prefix="judge-bench-")
    result(os.path.join(folder, "baseline.json"), baseline)
    result(os.path.join(folder, "canary.json"), canary)
    judge_file = os.path.join(folder, "judge.yaml")
    with open(judge_file, "w") as f:
        f.write("judge:\n  metrics:\n" + "".join(f"    - {{latency: '{name}', allowed_increase: 10%, allowed_shift: 20ms}}\n" for name in NAMES))

    best_judging, best_command = None, None
    for _ in range(3):
        started = time.perf_counter()
        run = subprocess.run([args.tollgate, "judge", os.path.join(folder, "baseline.json"), os.path.join(folder, "canary.json"),
                              "--judge", judge_file, "--report-dir", folder], capture_output=True, text=True)
        command = time.perf_counter() - started
        match = re.search(r"judged (\d+) metrics in ([\d.]+) ms", run.stdout)
        if not match:
            sys.exit(f"tollgate judge said no timing (exit {run.returncode}):\n{run.stdout}{run.stderr}")
        judging = float(match.group(2))
        best_judging = judging if best_judging is None else min(best_judging, judging)
        best_command = command if best_command is None else min(best_command, command)

    started = time.perf_counter()
    for name in NAMES:
        mannwhitneyu(canary[name], baseline[name])
    scipy_seconds = time.perf_counter() - started

    print(f"{args.requests:,} requests per path, 10 latency metrics")
    print(f"  tollgate judge, judging:        {best_judging:8.1f} ms   (best of 3)")
    print(f"  tollgate judge, whole command:  {best_command * 1000:8.1f} ms   (reading {os.path.getsize(os.path.join(folder, 'canary.json')) >> 10} KB results twice)")
    print(f"  scipy mannwhitneyu, raw samples:{scipy_seconds * 1000:8.1f} ms   (p-values only, no shift or interval)")
    print(f"  ratio scipy / tollgate judging: {scipy_seconds * 1000 / best_judging:8.1f}×")


if __name__ == "__main__":
    main()
