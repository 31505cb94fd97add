import Foundation
import TestSupport
import Testing

/// A Python HTTP server on 127.0.0.1 while `body` runs (given its base URL): every GET runs
/// `answer`, Python that sets `reply` (a JSON-able value) from `self.path`.
func withPythonJSONServer(imports: String = "", _ answer: String, _ body: (_ url: String) async throws -> Void) async throws {
    let port = freePort()
    let indented = answer.split(separator: "\n", omittingEmptySubsequences: false).map { "        " + $0 }.joined(separator: "\n")
    let script = """
        import http.server, json, time\(imports)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
        \(indented)
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", \(port)), Handler).serve_forever()
        """
    let server = try ChildProcess("/usr/bin/python3", ["-c", script], captureOutput: false, captureError: false)
    defer {
        server.send(SIGKILL)
        server.wait()
    }
    guard await eventually(timeout: 10, { acceptsConnections(port: port) }) else {
        throw ChildProcess.SpawnError(description: "the Python test server did not listen on 127.0.0.1:\(port)")
    }
    try await body("http://127.0.0.1:\(port)")
}

/// A server that answers every GET after `delayMs`, at a product path: the latency the judge
/// measures is the scenario itself, not a wait for something to happen.
func withSlowServer(delayMs: Int, _ body: (_ url: String) async throws -> Void) async throws {
    try await withPythonJSONServer("time.sleep(\(delayMs) / 1000)\nreply = {\"ok\": True}") { url in try await body(url + "/api/v1/products/7") }
}

struct JudgeCommandTests {
    /// A quick-mode load of `url` written to `file`.
    private func load(_ url: String, _ file: URL) async throws {
        let run = try await runTollgate(["load", "--url", url, "--rate", "60", "--duration", "3s", "--quiet", "--json", file.path])
        #expect(run.status == 0 || run.status == 1, "\(run.out)\(run.err)")
    }

    @Test func aCanary150msSlowerRollsBackAndTheSameCodeProceeds() async throws {
        let folder = try temporaryFolder("judge")
        defer { try? FileManager.default.removeItem(at: folder) }
        let baseline = folder.appendingPathComponent("baseline.json"), again = folder.appendingPathComponent("again.json")
        let slower = folder.appendingPathComponent("slower.json")
        try await withSlowServer(delayMs: 5) { url in
            try await load(url, baseline)
            try await load(url, again)
        }
        try await withSlowServer(delayMs: 155) { url in try await load(url, slower) }

        let same = try await runTollgate(["judge", baseline.path, again.path, "--report-dir", folder.path])
        #expect(same.status == 0, "the same server twice proceeds: \(same.out)\(same.err)")
        #expect(same.out.contains("✓ latency") && same.out.contains(": proceed"), "\(same.out)")

        let judged = try await runTollgate(["judge", baseline.path, slower.path, "--json", folder.appendingPathComponent("j.json").path,
                                            "--html", folder.appendingPathComponent("j.html").path, "--junit", folder.appendingPathComponent("j.xml").path])
        // Latency High, error rate Pass: half the metrics fail, a score of 50 → roll back.
        #expect(judged.status == 5, "\(judged.out)\(judged.err)")
        let json = try jsonObject(folder.appendingPathComponent("j.json"))
        #expect(json["schema_version"] as? String == "tollgate.judge/v1")
        let judge = try #require(json["judge"] as? [String: Any])
        #expect(judge["action"] as? String == "rollback" && judge["score"] as? Double == 50)
        let metrics = try #require(judge["metrics"] as? [[String: Any]])
        let latency = try #require(metrics.first { $0["kind"] as? String == "latency" })
        #expect(latency["classification"] as? String == "High", "\(latency)")
        let shift = latency["shift"] as? Double ?? 0
        #expect(shift > 100 && shift < 300, "the Hodges–Lehmann shift estimates the 150 ms: \(shift)")
        #expect((latency["p_value"] as? Double ?? 1) < 0.02 && (latency["interval"] as? [Double])?.first ?? 0 > 0)
        let html = try String(contentsOf: folder.appendingPathComponent("j.html"), encoding: .utf8)
        #expect(html.contains("data-chart=") && html.contains(">High<") && html.contains("Roll back"), "the distributions overlaid, the class, the verdict")
        let junit = try String(contentsOf: folder.appendingPathComponent("j.xml"), encoding: .utf8)
        #expect(junit.contains("failures=\"1\"") && junit.contains("tests=\"2\""), "\(junit)")
    }

    @Test func badInputIsExit2NamingTheFileOrField() async throws {
        let folder = try temporaryFolder("judge-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let notJSON = folder.appendingPathComponent("not.json")
        try "{ not json".write(to: notJSON, atomically: true, encoding: .utf8)
        let unreadable = try await runTollgate(["judge", notJSON.path, notJSON.path])
        #expect(unreadable.status == 2 && unreadable.err.contains("\(notJSON.path): not a tollgate load result"), "\(unreadable.err)")

        let result = folder.appendingPathComponent("result.json")
        try await withSlowServer(delayMs: 1) { url in try await load(url, result) }
        let judgeFile = folder.appendingPathComponent("judge.yaml")
        try "judge:\n  metrics:\n    - latency: tag:nowhere\n".write(to: judgeFile, atomically: true, encoding: .utf8)
        let absent = try await runTollgate(["judge", result.path, result.path, "--judge", judgeFile.path])
        #expect(absent.status == 2 && absent.err.contains("judge.metrics[0]: no request is tagged 'nowhere' in either result"), "\(absent.err)")
        try "judge:\n  confidence: 2\n  metrics: [{latency: all}]\n".write(to: judgeFile, atomically: true, encoding: .utf8)
        let badConfidence = try await runTollgate(["judge", result.path, result.path, "--judge", judgeFile.path])
        #expect(badConfidence.status == 2 && badConfidence.err.contains("judge.yaml:2: judge.confidence"), "\(badConfidence.err)")
    }
}
