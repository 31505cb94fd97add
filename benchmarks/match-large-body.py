#!/usr/bin/env python3
"""Times `tollgate match` on a large order response: N order items under eachLike
(type, min 1) with nested type/regex/integer/decimal rules, for several N.

Reports wall time and peak memory (max RSS) per size, and the time per item, which
must stay flat (linear scaling). Usage:
    benchmarks/match-large-body.py [--binary .build/release/tollgate] [--sizes 1000,10000,100000] [--runs 3]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

def case(n):
    item = {"product_id": 42, "sku": "SKU-00042", "quantity": 3, "unit_price": 19.99,
            "attributes": {"colour": "red", "size": "M"}, "tags": ["gift"]}
    rules = {
        "$.items": {"matchers": [{"match": "type", "min": 1}]},
        "$.items[*].product_id": {"matchers": [{"match": "integer"}]},
        "$.items[*].sku": {"matchers": [{"match": "regex", "regex": "SKU-\\d{5}"}]},
        "$.items[*].unit_price": {"matchers": [{"match": "decimal"}]},
        "$.items[*].attributes": {"matchers": [{"match": "type"}]},
        "$.items[*].tags": {"matchers": [{"match": "type", "min": 0}]},
    }
    actual_items = [{"product_id": i, "sku": "SKU-%05d" % (i % 100000), "quantity": 1 + i % 5,
                     "unit_price": 1.5 + (i % 100), "attributes": {"colour": "blue", "size": "L", "batch": i},
                     "tags": ["t%d" % (i % 7), "sale"]} for i in range(n)]
    return {
        "comment": "large order response, %d items" % n,
        "expected": {"status": 200, "headers": {"Content-Type": "application/json"},
                     "body": {"order_id": "ord_1", "items": [item]}, "matchingRules": {"body": rules}},
        "actual": {"status": 200, "headers": {"Content-Type": "application/json"},
                   "body": {"order_id": "ord_1", "items": actual_items}},
    }

def run(binary, path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([binary, "match", "--case", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("tollgate match failed (%d): %s" % (proc.returncode, proc.stderr.decode()))
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default=".build/release/tollgate")
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    print("%10s %12s %12s %14s %14s" % ("items", "body MB", "best s", "us per item", "max RSS MB"))
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in a.sizes.split(",")]:
            path = os.path.join(tmp, "case-%d.json" % n)
            with open(path, "w") as f:
                json.dump(case(n), f)
            size = os.path.getsize(path) / 1e6
            times, rss = [], 0
            for _ in range(a.runs):
                t, r = run(a.binary, path)
                times.append(t)
                rss = max(rss, r)
            best = min(times)
            print("%10d %12.2f %12.3f %14.2f %14.1f" % (n, size, best, best / n * 1e6, rss / 1024))

if __name__ == "__main__":
    main()
