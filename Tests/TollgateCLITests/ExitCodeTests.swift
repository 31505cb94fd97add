import Foundation
import TestSupport
import Testing

/// Every command keeps the 0/1/2 contract: a bad argument is 2 with the usage line.
@Suite struct ExitCodeTests {
    static let badArguments: [[String]] = [
        ["verify", "contracts", "--no-such-flag"],
        ["verify", "contracts", "--timeout", "-1", "--provider-base-url", "http://127.0.0.1:9"],
        ["verify", "contracts", "--provider-base-url", "ftp://127.0.0.1:9"],
        ["stub", "contracts", "--port", "not-a-number"],
        ["match"],
        ["services", "up", "--rollout-percent", "140"],
        ["services", "run", "inventory"],
        ["services", "run", "gateway", "--rollout-percent", "500"],
        ["services", "run", "user", "--port", "70000"],
        ["services", "up", "--shutdown-timeout", "-3"],
        ["demo", "--no-such-flag"],
        ["load"],
        ["load", "--url", "http://127.0.0.1:9/", "--rate", "-5", "--duration", "1s"],
        ["load", "--url", "https://127.0.0.1:9/", "--vus", "2", "--duration", "1s"],
        ["load", "--url", "http://127.0.0.1:9/", "--vus", "2", "--duration", "1s", "--slo", "p95<fast"],
        ["load", "loadprofiles/smoke.yaml", "--shard", "3/2"],
        ["load", "no-such-profile.yaml"],
        ["load", "--url", "http://127.0.0.1:9/", "--rate", "5", "--duration", "1s"],
        ["report"],
        ["consistency", "--source", "mysql://x", "--target", "postgresql://y", "--table", "t"],
        ["consistency", "--source", "postgresql://x", "--target", "postgresql://y", "--table", "t", "--where", "id ~ 1"],
        ["flow"],
        ["flow", "flows/purchase.yaml", "--target", "ftp://x"],
        ["report", "no-such-result.json"],
        ["gate"],
        ["gate", "loadprofiles/gate.yaml", "--stage", "0"],
        ["gate", "loadprofiles/gate.yaml", "--stage", "25", "--duration", "soon"],
        ["gate", "no-such-gate.yaml", "--stage", "25"],
        ["backfill", "--target", "ftp://x"],
        ["backfill", "--target", "http://127.0.0.1:9"],
        ["consistency", "--source", "http://a/admin/export/users", "--target", "postgresql://y"],
        ["no-such-command"],
    ]

    @Test(arguments: badArguments)
    func aBadArgumentExitsTwoWithTheUsage(arguments: [String]) async throws {
        let result = try await runTollgate(arguments)
        #expect(result.status == 2, "\(arguments): exit \(result.status)\n\(result.err)")
        #expect(result.err.contains("Usage:") || result.err.contains("Error:"), "\(arguments): \(result.err)")
    }

    @Test func helpStatesTheExitCodesAndExitsZero() async throws {
        for command in [["verify"], ["stub"], ["match"], ["demo"], ["load"], ["report"], ["flow"], ["consistency"], ["gate"], ["backfill"], ["services", "up"], ["services", "run"]] {
            let result = try await runTollgate(command + ["--help"])
            #expect(result.status == 0)
            // Help text is wrapped: compare with the line breaks folded.
            let text = result.out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("Exit status"), "\(command) --help names its exit codes")
        }
    }

    @Test func aPactPathThatWouldLeaveTheProviderIsRefusedWhenItLoads() async throws {
        let pact = FileManager.default.temporaryDirectory.appendingPathComponent("escape-\(UUID()).json")
        try Data(#"""
        {"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}},
         "interactions": [{"description": "steal", "request": {"method": "GET", "path": "@127.0.0.1:9/x"}, "response": {"status": 200}}]}
        """#.utf8).write(to: pact)
        defer { try? FileManager.default.removeItem(at: pact) }
        let result = try await runTollgate(["verify", pact.path, "--provider-base-url", "http://127.0.0.1:9", "--header", "Authorization=Bearer secret"])
        #expect(result.status == 2)
        #expect(result.err.contains("$.interactions[0].request.path"), "\(result.err)")
        #expect(result.err.contains("must start with '/'"))
        #expect(!result.out.contains("secret") && !result.err.contains("secret"))
    }

    @Test func credentialsInAPactURLNeverReachTheOutput() async throws {
        let result = try await runTollgate(["verify", "--url", "http://alice:hunter2@127.0.0.1:9/pact.json", "--provider-base-url", "http://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(!result.out.contains("hunter2") && !result.err.contains("hunter2"), "\(result.err)")
        #expect(result.err.contains("http://***@127.0.0.1:9/pact.json"), "\(result.err)")
    }
}
