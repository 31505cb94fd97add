import Foundation
import TestSupport
import Testing

/// A product service stand-in on 127.0.0.1 while `body` runs: every answer carries a timestamp
/// and a request id (noise); `candidate` renames `name` to `title` and rounds the price; `hang`
/// never answers.
func withProductServer(_ mode: String, _ body: (_ url: String) async throws -> Void) async throws {
    try await withPythonJSONServer(imports: ", uuid", """
        if "\(mode)" == "hang":
            time.sleep(3600)
        ident = int(self.path.split("?")[0].rstrip("/").split("/")[-1] or 0)
        reply = {"id": ident, "name": "Product %d" % ident, "price": 19.99, "generated_at": time.time(), "request_id": str(uuid.uuid4())}
        if "\(mode)" == "candidate":
            reply["title"] = reply.pop("name")
            reply["price"] = 20.0
        """, body)
}

struct ParityCommandTests {
    /// Three product reads and an order, as a browser's HAR export has them.
    private func har(in folder: URL) throws -> String {
        let entries = (1...3).map { #"{"request": {"method": "GET", "url": "https://shop.example.com/api/v1/products/\#($0)", "headers": [{"name": "Authorization", "value": "Bearer s3cret-token"}]}}"# }
            + [#"{"request": {"method": "POST", "url": "https://shop.example.com/api/v1/orders", "headers": []}}"#]
        let file = folder.appendingPathComponent("shop.har")
        try #"{"log": {"version": "1.2", "entries": ["#.appending(entries.joined(separator: ",")).appending("]}}").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func theCandidatesTwoRealDifferencesAreFoundAndTheNoiseLearned() async throws {
        let folder = try temporaryFolder("parity")
        defer { try? FileManager.default.removeItem(at: folder) }
        let har = try har(in: folder)
        try await withProductServer("baseline") { baseline in
            try await withProductServer("candidate") { candidate in
                let report = folder.appendingPathComponent("parity.json")
                let result = try await runTollgate(["parity", "--baseline", baseline, "--candidate", candidate, har, "--repeat", "4",
                                                    "--json", report.path, "--html", folder.appendingPathComponent("parity.html").path])
                #expect(result.status == 1, "\(result.out)\(result.err)")
                #expect(result.err.contains("1 POST request(s) not replayed"), "\(result.err)")
                #expect(!(result.out + result.err).contains("s3cret-token"), "credentials are sent, never printed")
                let json = try jsonObject(report)
                #expect(json["schema_version"] as? String == "tollgate.parity/v1")
                let endpoints = try #require(json["endpoints"] as? [[String: Any]])
                #expect(endpoints.count == 1 && endpoints[0]["pattern"] as? String == "GET /api/v1/products/{id}", "\(endpoints)")
                #expect(endpoints[0]["requests"] as? Int == 12 && endpoints[0]["differing"] as? Int == 12, "\(endpoints[0])")
                let differences = try #require(endpoints[0]["differences"] as? [[String: Any]])
                // The renamed field at its old and new path, and the rounding: nothing else.
                #expect(Set(differences.compactMap { $0["path"] as? String }) == ["$.name", "$.title", "$.price"], "\(differences)")
                let price = try #require(differences.first { $0["path"] as? String == "$.price" })
                #expect(price["baseline"] as? String == "19.99" && price["candidate"] as? String == "20.0", "\(price)")
                #expect(Set(endpoints[0]["noise"] as? [String] ?? []) == ["$.generated_at", "$.request_id"], "\(endpoints[0])")
                let html = try String(contentsOf: folder.appendingPathComponent("parity.html"), encoding: .utf8)
                #expect(html.contains("$.title") && html.contains("19.99"))
            }
            // The same code on both sides: only noise, which is not counted.
            let same = try await runTollgate(["parity", "--baseline", baseline, "--candidate", baseline, har, "--repeat", "3", "--report-dir", folder.path])
            #expect(same.status == 0, "\(same.out)\(same.err)")
            #expect(same.out.contains("noise: $.generated_at, $.request_id") && same.out.contains("parity holds"), "\(same.out)")
        }
    }

    @Test func aSideThatNeverAnswersIsExit2WithTheReason() async throws {
        let folder = try temporaryFolder("parity-hang")
        defer { try? FileManager.default.removeItem(at: folder) }
        let har = try har(in: folder)
        try await withProductServer("hang") { hanging in
            let started = Date()
            let result = try await runTollgate(["parity", "--baseline", hanging, "--candidate", hanging, har, "--repeat", "1", "--timeout", "1s", "--report-dir", folder.path])
            #expect(result.status == 2 && result.err.contains("nothing was compared"), "\(result.out)\(result.err)")
            #expect(Date().timeIntervalSince(started) < 30, "bounded by the timeout")
        }
        let notHAR = folder.appendingPathComponent("broken.har")
        try "{".write(to: notHAR, atomically: true, encoding: .utf8)
        let broken = try await runTollgate(["parity", "--baseline", "http://127.0.0.1:9", "--candidate", "http://127.0.0.1:9", notHAR.path])
        #expect(broken.status == 2 && broken.err.contains("broken.har: not JSON"), "\(broken.err)")
        let badFlag = try await runTollgate(["parity", "--baseline", "ftp://x", "--candidate", "http://127.0.0.1:9", notHAR.path, "--threshold", "5"])
        #expect(badFlag.status == 2, "\(badFlag.err)")
        #expect(badFlag.err.contains("--baseline 'ftp://x' must be an http(s) URL") && badFlag.err.contains("--threshold '5'"), "\(badFlag.err)")
    }
}
