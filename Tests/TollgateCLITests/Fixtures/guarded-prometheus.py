# A Prometheus query API that answers only with the right bearer token (127.0.0.1 only), for
# the gate's credential test:  guarded-prometheus.py PORT TOKEN
# POST or GET /api/v1/query → one series with the value 0.002; a wrong or missing token → 401.
import http.server, json, sys

port, token = int(sys.argv[1]), sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"status": "success", "data": {"resultType": "vector",
                           "result": [{"metric": {}, "value": [1700000000, "0.002"]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer()

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
