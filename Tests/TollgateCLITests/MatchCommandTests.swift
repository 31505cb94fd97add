import Foundation
import TestSupport
import Testing

/// Runs the built `tollgate` binary and returns its exit status, standard output and error;
/// waits off the cooperative pool (the services under test answer on it). A run still going
/// after `limit` seconds is killed: a hung command fails its test instead of the whole suite.
/// `environment` is added to the test process's own.
func runTollgate(_ arguments: [String], environment: [String: String] = [:], limit: Double = 300) async throws -> (status: Int32, out: String, err: String) {
    let child = environment.isEmpty
        ? try ChildProcess(tollgateBinary.path, arguments, directory: packageRoot.path)
        : try ChildProcess("/usr/bin/env", environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [tollgateBinary.path] + arguments,
                           directory: packageRoot.path)
    let watchdog = Task {
        try await Task.sleep(for: .seconds(limit))
        child.send(SIGKILL)
    }
    defer { watchdog.cancel() }
    let finished = await child.finish()
    return (finished.code, finished.err.isEmpty && finished.signalled ? "killed after \(Int(limit)) s" : finished.out, finished.err)
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The binary built next to the test bundle.
let tollgateBinary: URL = {
    var directory = Bundle.main.bundleURL
    if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
    for candidate in [directory, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("tollgate")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return packageRoot.appendingPathComponent(".build/debug/tollgate")
}()

let specCases = packageRoot.appendingPathComponent("Tests/ContractCoreTests/Fixtures/pact-spec-testcases")

@Suite struct MatchCommandTests {
    @Test func matchingCaseExitsZero() async throws {
        let result = try await runTollgate(["match", "--case", "examples/order-response-match.json"])
        #expect(result.status == 0)
        #expect(result.out.hasPrefix("✓ response matches"))
    }

    @Test func mismatchExitsOneAndSaysWhereAndWhy() async throws {
        let result = try await runTollgate(["match", "--case", "examples/order-response-mismatch.json"])
        #expect(result.status == 1)
        #expect(result.out.contains("✗ response does not match"))
        #expect(result.out.contains("$.items[1].product_id"))
        #expect(result.out.contains("Expected \"12\" to be an integer"))
        #expect(result.out.contains("Expected key 'status' but it was missing"))
    }

    @Test func jsonOutputListsMismatches() async throws {
        let result = try await runTollgate(["match", "--case", "examples/order-response-mismatch.json", "--json"])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(json["match"] as? Bool == false)
        let mismatches = try #require(json["mismatches"] as? [[String: Any]])
        #expect(mismatches.compactMap { $0["path"] as? String } == ["$.status", "$.total", "$.created_at", "$.items[1].product_id"])
        #expect(mismatches.allSatisfy { $0["message"] is String && $0.keys.contains("expected") && $0.keys.contains("actual") })
    }

    @Test func kindAndVersionComeFromTheSpecFolders() async throws {
        let file = specCases.appendingPathComponent("version-1/testcases/request/query/different param order.json").path
        // v1 compares query pairs in order, v2 does not.
        #expect(try await runTollgate(["match", "--case", file]).status == 1)
        #expect(try await runTollgate(["match", "--case", file, "--spec", "2"]).status == 0)
        let message = specCases.appendingPathComponent("version-3/testcases/message/body/missing key.json").path
        let result = try await runTollgate(["match", "--case", message])
        #expect(result.status == 1)
        #expect(result.out.contains("message does not match (Pact v3.0.0)"))
    }

    @Test func errorsExitTwoAndNameTheFile() async throws {
        let missing = try await runTollgate(["match", "--case", "examples/no-such-file.json"])
        #expect(missing.status == 2)
        #expect(missing.err.contains("examples/no-such-file.json"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.json")
        try Data(#"{"expected": {"status": 200, "body": {}, "matchingRules": {"body": {"$.a": {"matchers": [{"match": "sorta"}]}}}}, "actual": {"status": 200}}"#.utf8).write(to: broken)
        let unknown = try await runTollgate(["match", "--case", broken.path])
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("broken.json: $.expected.matchingRules.body['$.a'].matchers[0].match: unknown matcher 'sorta'"))

        let notJSON = directory.appendingPathComponent("not.json")
        try Data("{ nope".utf8).write(to: notJSON)
        let parse = try await runTollgate(["match", "--case", notJSON.path])
        #expect(parse.status == 2)
        #expect(parse.err.contains("line 1"))

        #expect(try await runTollgate(["match", "--case", broken.path, "--spec", "9"]).status == 2)
    }
}
