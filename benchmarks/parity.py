#!/usr/bin/env python3
"""What response parity costs the services: requests each side received per request compared.

Starts two counting JSON servers on 127.0.0.1, writes a HAR of N GET requests, runs
`tollgate parity --repeat 1` between them, and reports how many requests each side served and
the wall time, beside hey sending the same N requests once to one side (the cost of the
traffic itself, no comparison).

    python3 benchmarks/parity.py [--requests 2000] [--tollgate .build/release/tollgate]
"""
import argparse, http.server, json, os, subprocess, sys, tempfile, threading, time

counts = {}


def server(name):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            counts[name] = counts.get(name, 0) + 1
            body = json.dumps({"id": self.path, "price": 19.99, "at": time.time()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--tollgate", default=".build/release/tollgate")
    args = parser.parse_args()
    baseline, candidate = server("baseline"), server("candidate")
    folder = tempfile.mkdtemp(prefix="parity-bench-")
    har = os.path.join(folder, "requests.har")
    with open(har, "w") as f:
        json.dump({"log": {"entries": [{"request": {"method": "GET", "url": f"https://shop.example/api/items/{n}", "headers": []}}
                                       for n in range(args.requests)]}}, f)
    started = time.perf_counter()
    run = subprocess.run([args.tollgate, "parity", "--baseline", baseline, "--candidate", candidate, har, "--repeat", "1",
                          "--report-dir", folder], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode not in (0, 1):
        sys.exit(f"tollgate parity failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    compared = args.requests
    print(f"{compared} requests compared in {seconds:.2f} s ({compared / seconds:.0f}/s)")
    print(f"  baseline served {counts.get('baseline', 0)} ({counts.get('baseline', 0) / compared:.2f} per request: primary and secondary)")
    print(f"  candidate served {counts.get('candidate', 0)} ({counts.get('candidate', 0) / compared:.2f} per request)")
    extra = (counts.get("baseline", 0) + counts.get("candidate", 0) - compared) / compared
    print(f"  extra requests per request compared: {extra:.2f} (the request itself, sent once, is the baseline's primary)")
    hey = subprocess.run(["hey", "-n", str(compared), "-c", "8", f"{baseline}/api/items/1"], capture_output=True, text=True) if subprocess.run(["which", "hey"], capture_output=True).returncode == 0 else None
    if hey and hey.returncode == 0:
        line = next((l for l in hey.stdout.splitlines() if "Requests/sec" in l), "")
        print(f"  peer, hey -n {compared} -c 8 against one side: {line.strip()}")


if __name__ == "__main__":
    main()
