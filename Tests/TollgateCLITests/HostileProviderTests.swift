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
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) }, "the hostile provider listens")
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
            let result = try await runTollgate(["verify", file.path, "--provider-base-url", base, "--max-body", "1M", "--json", report.path])
            #expect(result.status == 1)
            #expect(result.out.contains("larger than 1048576 bytes"), "\(result.out)")
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
            let result = try await runTollgate(["verify", file.path, "--provider-base-url", base, "--state-change-url", base + "/state",
                                                     "--state-change-teardown"])
            #expect(result.status == 1)
            #expect(result.out.contains("provider state 'garbage' (setup)"), "\(result.out)")
            #expect(result.out.contains("not a JSON object"))
            let calls = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(calls.contains("setup a thing exists\nteardown a thing exists"), "teardown after the failed interaction:\n\(calls)")
        }
    }

    @Test func ctrlCWritesTheReportsWithWhatFinishedAndExitsTwo() async throws {
        try await withHostileProvider { base, _ in
            let file = try pact(#"""
                {"description": "fast", "request": {"method": "GET", "path": "/broken"}, "response": {"status": 500}},
                {"description": "slow", "request": {"method": "GET", "path": "/slow"}, "response": {"status": 500}}
                """#)
            let report = FileManager.default.temporaryDirectory.appendingPathComponent("aborted-\(UUID()).json")
            let junit = FileManager.default.temporaryDirectory.appendingPathComponent("aborted-\(UUID()).xml")
            defer { [file, report, junit].forEach { try? FileManager.default.removeItem(at: $0) } }
            let verify = try ChildProcess(tollgateBinary.path, ["verify", file.path, "--provider-base-url", base, "--json", report.path, "--junit", junit.path],
                                          directory: packageRoot.path)
            // Interrupt once the first interaction has finished and the slow one is under way.
            let progress = await verify.output(until: "fast", timeout: 20)
            #expect(progress.contains("fast"))
            verify.send(SIGINT)
            let ended = await verify.finish()
            #expect(ended.code == 2 && !ended.signalled, "ended with \(ended.code)")
            #expect(ended.err.contains("aborted by a signal after 1 interaction(s)"), "\(ended.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
            #expect(json["result"] as? String == "error")
            #expect((json["error"] as? String)?.contains("aborted") == true)
            #expect(try String(contentsOf: junit, encoding: .utf8).contains("fast"), "the finished interaction is in the JUnit report")
        }
    }

    @Test func aBadPactStillWritesTheReportsAskedFor() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json")
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json")
        defer { [file, report].forEach { try? FileManager.default.removeItem(at: $0) } }
        try Data(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"description": "x", "request": {"method": "GET", "path": "/"}, "response": {"status": 200, "matchingRules": {"body": {"$.a": {"matchers": [{"match": "no-such-matcher"}]}}}}}]}"#.utf8).write(to: file)
        let result = try await runTollgate(["verify", file.path, "--provider-base-url", "http://127.0.0.1:9", "--json", report.path])
        #expect(result.status == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["result"] as? String == "error")
        #expect((json["error"] as? String)?.contains(file.lastPathComponent) == true, "the error names the file")
    }
}
