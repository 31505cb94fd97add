# A provider that misbehaves on purpose, for verify's tests (127.0.0.1 only):
#   GET /endless      200 with a chunked body that never ends
#   GET /broken       500
#   GET /slow         answers after 60 s
#   GET /never        accepts the request and never answers
#   GET /admin/rollout  {"percent": true}: not a rollout percentage
#   GET /admin/export/loop   an export page whose next_after never moves on
#   GET /admin/export/endless an export page that never ends
#   GET /admin/export/cycle  export pages that go round: after a comes b, after b comes a
#   POST /state       records each {state, action} to the file in argv[2]; the state
#                     "garbage" answers text that is not JSON
import http.server, json, sys, time

port, log = int(sys.argv[1]), sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/never"):
            time.sleep(3600)
        if self.path == "/admin/rollout":
            return self.reply(b'{"percent": true}')
        if self.path.startswith("/admin/export/loop"):
            return self.reply(json.dumps({"table": "loop", "key": "id", "columns": ["v"], "key_order": "bytes",
                                          "rows": [{"id": "a", "v": "1"}], "next_after": "a"}).encode())
        if self.path.startswith("/admin/export/cycle"):
            after_b = "after=b" in self.path
            row, following = ({"id": "a", "v": "1"}, "a") if after_b else ({"id": "b", "v": "2"}, "b")
            return self.reply(json.dumps({"table": "cycle", "key": "id", "columns": ["v"], "key_order": "bytes",
                                          "rows": [row], "next_after": following}).encode())
        if self.path == "/endless" or self.path.startswith("/admin/export/endless"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"[" + b"1," * 32768
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                return
        if self.path == "/slow":
            time.sleep(60)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        with open(log, "a") as f:
            f.write("%s %s\n" % (body.get("action"), body.get("state")))
        reply = b"this is not json" if body.get("state") == "garbage" else b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
