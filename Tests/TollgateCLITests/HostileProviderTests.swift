import Foundation
import TestSupport
import Testing

/// `tollgate verify` against a provider that misbehaves on purpose.
@Suite struct HostileProviderTests {
    func withHostileProvider(_ body: (_ base: String, _ stateLog: URL) async throws -> Void) async throws {
        let port = freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("states-\(UUID()).log")
        let server = try ChildProcess("/usr/bin/python3", [packageRoot.appendingPathComponent("Tests/TollgateCLITests/Fixtures/hostile-provider.py").path,
                                                           "\(port)", log.path], captureOutput: false, captureError: false)
        defer {
            server.send(SIGTERM)
            server.wait()
            try? FileManager.default.removeItem(at: log)
        }
        let base = "http://127.0.0.1:\(port)"
        for _ in 0..<50 where (try? Data(contentsOf: URL(string: base + "/broken")!)) == nil && !FileManager.default.fileExists(atPath: log.path) {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await body(base, log)
    }

    func pact(_ interactions: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID()).json")
        try Data(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [\#(interactions)]}"#.utf8)
            .write(to: file)
        return file
    }

    @Test func anEndlessBodyStopsAtMaxBodyAndReportsStayBounded() async throws {
        try await withHostileProvider { base, _ in
            let file = try pact(#"{"description": "endless", "request": {"method": "GET", "path": "/endless"}, "response": {"status": 200, "body": [1]}}"#)
            defer { try? FileManager.default.removeItem(at: file) }
            let report = FileManager.default.temporaryDirectory.appendingPathComponent("endless-\(UUID()).json")
            defer { try? FileManager.default.removeItem(at: report) }
            let began = Date()
            let result = try await runTollgateAsync(["verify", file.path, "--provider-base-url", base, "--max-body", "1M", "--json", report.path])
            #expect(result.status == 1)
            #expect(result.out.contains("larger than 1048576 bytes"), "\(result.out)")
            #expect(Date().timeIntervalSince(began) < 20)
            let size = try FileManager.default.attributesOfItem(atPath: report.path)[.size] as? Int ?? .max
            #expect(size < 100_000, "the report is \(size) bytes")
        }
    }

    @Test func teardownRunsAfterAFailureAndAStateReplyThatIsNotJSONIsNamed() async throws {
        try await withHostileProvider { base, log in
            let file = try pact(#"""
                {"description": "broken", "providerState": "a thing exists", "request": {"method": "GET", "path": "/broken"}, "response": {"status": 200}},
                {"description": "garbled state", "providerState": "garbage", "request": {"method": "GET", "path": "/broken"}, "response": {"status": 500}}
                """#)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await runTollgateAsync(["verify", file.path, "--provider-base-url", base, "--state-change-url", base + "/state",
                                                     "--state-change-teardown"])
            #expect(result.status == 1)
            #expect(result.out.contains("provider state 'garbage' (setup)"), "\(result.out)")
            #expect(result.out.contains("not a JSON object"))
            let calls = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(calls.contains("setup a thing exists\nteardown a thing exists"), "teardown after the failed interaction:\n\(calls)")
        }
    }
}
