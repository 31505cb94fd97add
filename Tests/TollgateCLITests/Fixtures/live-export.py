# Two export endpoints over tables that live traffic keeps writing (127.0.0.1 only), for the
# consistency re-check tests:
#   GET /admin/export/source   a writer inserts and updates rows here all the time…
#   GET /admin/export/target   …and each change reaches this side 300 ms later.
# Row "lost-1" is only ever on the source (a lost write); row "00077" is garbled on the target
# and repaired 300 ms after start. Both endpoints take ?after=KEY&limit=N or ?keys=K1,K2.
import http.server, json, sys, threading, time, urllib.parse

port = int(sys.argv[1])
lock = threading.Lock()
source = {"%05d" % n: "pending" for n in range(1, 3001)}
target = dict(source)
source["lost-1"] = "confirmed"
target["00077"] = "garbled"
pending = [(time.time() + 0.3, "00077", "pending")]

def writer():
    n = 10000
    while True:
        time.sleep(0.005)
        with lock:
            n += 1
            # New orders for a while (the table stays small enough to page quickly), status changes always.
            new, changed = "%05d" % n, "%05d" % (n % 3000 + 1)
            due = time.time() + 0.3
            if n < 12000:
                source[new] = "pending"
                pending.append((due, new, "pending"))
            source[changed] = "confirmed" if source[changed] != "confirmed" else "shipped"
            pending.append((due, changed, source[changed]))
            while pending and pending[0][0] <= time.time():
                _, key, value = pending.pop(0)
                target[key] = value

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        table = source if url.path.endswith("/source") else target
        with lock:
            if "keys" in query:
                keys = sorted(k for k in query["keys"][0].split(",") if k in table)
                page, next_after = keys, None
            else:
                after, limit = query.get("after", [""])[0], int(query.get("limit", ["1000"])[0])
                keys = sorted(k for k in table if k > after)
                page = keys[:limit]
                next_after = page[-1] if len(page) == limit else None
            rows = [{"id": k, "status": table[k]} for k in page]
        body = json.dumps({"table": "orders", "key": "id", "columns": ["status"], "key_order": "bytes",
                           "rows": rows, "next_after": next_after}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

threading.Thread(target=writer, daemon=True).start()
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
