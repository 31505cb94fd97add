import Foundation
import ReferenceServices
import TestSupport
import TransportHTTP
import Testing

/// Whole rollouts on the reference stack, stage after stage.
struct RolloutCommandTests {
    private static func profile(_ name: String, path: String, in folder: URL) throws {
        try """
            name: \(name)
            scenarios:
              readers:
                executor: constant-arrival-rate
                rate: 10
                duration: 2s
                steps:
                  - {name: read, path: "\(path)", check: {status: 200}}
            """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    @Test func stagesThatHoldMoveOnAndABrokenStageRollsBack() async throws {
        let folder = try temporaryFolder("rollout")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.profile("healthy", path: "/api/v1/products/${random_int(1,20)}", in: folder)
        // Stage 50's traffic reaches a route that does not exist: 404s, an error rate → roll back.
        try Self.profile("broken", path: "/api/v1/no-such-route", in: folder)
        try await withStack({ c in c.seedProducts = 20; c.rolloutPercent = 0 }) { stack in
            let gate = folder.appendingPathComponent("gate.yaml")
            try """
                name: whole-rollout
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {10: healthy.yaml, 25: healthy.yaml, 50: broken.yaml, 100: healthy.yaml}
                slos: [error_rate<=1%:rollback]
                """.write(to: gate, atomically: true, encoding: .utf8)
            let json = folder.appendingPathComponent("rollout.json")
            let run = try await runTollgate(["rollout", gate.path, "--bake", "1s", "--quiet", "--json", json.path,
                                             "--html", folder.appendingPathComponent("rollout.html").path])
            #expect(run.status == 5, "\(run.out)\(run.err)")
            let report = try jsonObject(json)
            #expect(report["schema_version"] as? String == "tollgate.rollout/v1")
            let stages = try #require(report["stages"] as? [[String: Any]])
            #expect(stages.compactMap { ($0["verdict"] as? [String: Any])?["stage"] as? Int } == [10, 25, 50], "\(run.out)")
            #expect(stages.compactMap { ($0["verdict"] as? [String: Any])?["action"] as? String } == ["proceed", "proceed", "rollback"])
            let result = try #require(report["result"] as? [String: Any])
            #expect(result["outcome"] as? String == "rolled back" && result["rollout_percent"] as? Int == 0, "\(result)")
            #expect(await stack.rollout.percent == 0, "the roll back was applied")
            let html = try String(contentsOf: folder.appendingPathComponent("rollout.html"), encoding: .utf8)
            #expect(html.contains("Timeline") && html.contains("50 %"))

            // Resumed from 25 % with the healthy profile at every stage: 50 and 100 follow, exit 0.
            try """
                name: whole-rollout
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {10: healthy.yaml, 25: healthy.yaml, 50: healthy.yaml, 100: healthy.yaml}
                slos: [error_rate<=1%:rollback]
                """.write(to: gate, atomically: true, encoding: .utf8)
            await stack.rollout.set(25)
            let resumed = try await runTollgate(["rollout", gate.path, "--resume", "--quiet", "--report-dir", folder.path])
            #expect(resumed.status == 0, "\(resumed.out)\(resumed.err)")
            #expect(resumed.out.contains("Resuming: the rollout is at 25 %") && resumed.out.contains("the last stage, 100 %, was reached and held"), "\(resumed.out)")
            #expect(await stack.rollout.percent == 100)
            await stack.rollout.set(30)
            let off = try await runTollgate(["rollout", gate.path, "--resume", "--quiet", "--report-dir", folder.path])
            #expect(off.status == 2 && off.err.contains("reads back 30 %, which is not one of the stages"), "\(off.err)")
        }
    }
}

/// A stage with no load of the gate's own: judged on the traffic already there.
struct ObservedStageGateTests {
    @Test func theTrafficAlreadyThereIsJudgedOverTheWindow() async throws {
        let folder = try temporaryFolder("observed-stage")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in
            c.seedProducts = 20
            c.breakages = [.failRoute(service: "catalog-service", pathPrefix: "/api/v1/categories")]
        }) { stack in
            let gate = folder.appendingPathComponent("gate.yaml")
            try """
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {100: none}
                metrics:
                  - {name: catalog errors, url: "\(stack.url("catalog-service")!)/metrics", selector: 'route!="/metrics"', errors: {status: 5xx}, threshold: 1, action: rollback}
                """.write(to: gate, atomically: true, encoding: .utf8)
            // Nobody is shopping: nothing was counted, so nothing is known — a pause.
            let quiet = try await GateCommandTests.gate(gate.path, folder, stage: 100, duration: "1s")
            #expect(quiet.status == 4, "\(quiet.out)\(quiet.err)")
            #expect(quiet.json["load"] == nil && (GateCommandTests.trigger(quiet.json, "catalog errors")?["inconclusive"] as? String ?? "").contains("no requests"), "\(quiet.json)")
            // Real traffic meanwhile, half of it to a broken route: the counters see it.
            let client = HTTPClientPool()
            let traffic = Task {
                while !Task.isCancelled {
                    for path in ["/api/v1/products/1", "/api/v1/categories"] {
                        _ = try? await client.send(HTTPClientRequest(url: stack.gatewayURL + path))
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            defer { traffic.cancel() }
            let busy = try await GateCommandTests.gate(gate.path, folder, stage: 100, duration: "2s")
            #expect(busy.status == 5, "\(busy.out)\(busy.err)")
            #expect(GateCommandTests.trigger(busy.json, "catalog errors")?["breached"] as? Bool == true, "\(busy.json["triggers"] ?? "")")
        }
    }
}
