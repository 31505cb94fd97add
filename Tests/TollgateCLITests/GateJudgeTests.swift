import Foundation
import ReferenceServices
import TestSupport
import Testing

/// The canary judge in the gate: the stage's own traffic split by the gateway between the
/// monolith (baseline) and the new services (canary), each path judged against the other.
@Suite(.serialized)
struct GateJudgeTests {
    /// Browsers from many addresses (the gateway believes 127.0.0.1's X-Forwarded-For), so the
    /// gateway's split sends about a quarter of the requests to the services at stage 25.
    static let browsers = """
        name: browsers
        headers: {X-Forwarded-For: "198.18.${random_int(0,255)}.${random_int(1,254)}"}
        scenarios:
          browsers:
            executor: constant-arrival-rate
            rate: 60
            duration: 6s
            pre_allocated_vus: 20
            max_vus: 200
            steps:
              - {name: list products, path: "/api/v1/products?per_page=5", check: {status: 200}}
              - {name: get product, path: "/api/v1/products/${random_int(1,300)}", check: {status: 200}}
        """

    static func gateFile(_ stack: ServiceStack, in folder: URL, slos: String, productReads: String) throws -> String {
        let profile = folder.appendingPathComponent("browsers.yaml")
        try browsers.write(to: profile, atomically: true, encoding: .utf8)
        let yaml = """
            name: judged-gate
            gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
            flows: ["\(packageRoot.path)/flows/browse.yaml"]
            stages: {25: "\(profile.path)"}
            slos: \(slos)
            judge:
              min_samples: 40
              metrics:
                - latency: get product
                  allowed_increase: 10%
                  allowed_shift: 20ms
            \(productReads)
                - latency: list products
                  allowed_increase: 10%
                  allowed_shift: 20ms
                - error_rate: all
            """
        let file = folder.appendingPathComponent("gate.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    private static func configure(_ c: inout StackConfiguration) {
        c.seedProducts = 300
        c.rolloutPercent = 0
        c.trustedProxies = TrustedProxies(parsing: "127.0.0.1")!
    }

    @Test func aCanary150msSlowerOnProductReadsIsHighThereAndRollsBackOrReducesAsConfigured() async throws {
        let folder = try temporaryFolder("gate-judge-slow")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in
            Self.configure(&c)
            c.breakages = [.slowRoute(service: "catalog-service", pathPrefix: "/api/v1/products/", milliseconds: 150)]
        }) { stack in
            // The guide's p95 limit holds (150 ms is well under 500 ms): only the judge can see it.
            let file = try Self.gateFile(stack, in: folder, slos: "[p95<=2000ms:reduce, error_rate<=1%:rollback]", productReads: "      action: rollback")
            let result = try await GateCommandTests.gate(file, folder, duration: "6s")
            #expect(result.status == 5, "\(result.out)\(result.err)")
            let judge = try #require(result.json["judge"] as? [String: Any], "\(result.json.keys)")
            let metrics = try #require(judge["metrics"] as? [[String: Any]])
            let reads = try #require(metrics.first { $0["name"] as? String == "latency get product" })
            #expect(reads["classification"] as? String == "High", "\(reads)")
            let shift = reads["shift"] as? Double ?? 0
            #expect(shift > 100 && shift < 300, "the shift estimates the 150 ms: \(shift)")
            let baseline = try #require(reads["baseline"] as? [String: Any]), canary = try #require(reads["canary"] as? [String: Any])
            #expect((baseline["samples"] as? Int ?? 0) >= 40 && (canary["samples"] as? Int ?? 0) >= 40, "both paths measured: \(baseline) \(canary)")
            #expect(metrics.first { $0["name"] as? String == "latency list products" }?["classification"] as? String == "Pass", "\(metrics)")
            let trigger = try #require(GateCommandTests.trigger(result.json, "canary judge"))
            #expect(trigger["breached"] as? Bool == true && trigger["action"] as? String == "rollback", "\(trigger)")
            #expect(GateCommandTests.trigger(result.json, "p95")?["breached"] as? Bool == false)
            // The flows' requests say which path answered each.
            let steps = ((result.json["flows"] as? [String: Any])?["runs"] as? [[String: Any]] ?? []).flatMap { $0["steps"] as? [[String: Any]] ?? [] }
            #expect(!steps.isEmpty && steps.filter { $0["kind"] as? String == "request" }.allSatisfy { ["baseline", "canary"].contains($0["path"] as? String ?? "") }, "\(steps)")
            let paths = try #require((result.json["load"] as? [String: Any])?["paths"] as? [String: Any])
            #expect(Set(paths.keys) == ["baseline", "canary"], "the load result shows the paths side by side")
            // tollgate report re-renders the stage's load with its paths side by side.
            let load = folder.appendingPathComponent("stage-load.json")
            try JSONSerialization.data(withJSONObject: try #require(result.json["load"])).write(to: load)
            let rendered = try await runTollgate(["report", load.path, "--html", folder.appendingPathComponent("stage-load.html").path])
            #expect(rendered.out.contains("path (canary split)"), "\(rendered.out)\(rendered.err)")
            let page = try String(contentsOf: folder.appendingPathComponent("stage-load.html"), encoding: .utf8)
            #expect(page.contains("Paths (canary split)") && page.contains("get product — canary"))
            #expect(result.out.contains("Canary judge"), "the judgement is printed: \(result.out)")

            // The same slowness with the metric asking for a reduction instead.
            let reducing = try Self.gateFile(stack, in: folder, slos: "[p95<=2000ms:reduce]", productReads: "      action: reduce")
            let reduced = try await GateCommandTests.gate(reducing, folder, duration: "6s")
            #expect(reduced.status == 3, "\(reduced.out)\(reduced.err)")
        }
    }

    @Test func aStarvedMachineBreachesTheAbsoluteLimitOnBothPathsAndOnlyPauses() async throws {
        let folder = try temporaryFolder("gate-judge-starved")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Both cores kept busy for the whole stage.
        let hogs = try (0..<2).map { _ in try ChildProcess("/bin/sh", ["-c", "while :; do :; done"], captureOutput: false, captureError: false) }
        defer { for hog in hogs { hog.send(SIGKILL); hog.wait() } }
        try await withStack({ c in Self.configure(&c) }) { stack in
            // A limit the starved machine breaches on both paths alike (the stack is healthy).
            let file = try Self.gateFile(stack, in: folder, slos: "[p50<=1ms:reduce, error_rate<=1%:rollback]", productReads: "")
            let result = try await GateCommandTests.gate(file, folder, duration: "6s")
            let p50 = try #require(GateCommandTests.trigger(result.json, "p50"), "\(result.out)\(result.err)")
            #expect(p50["breached"] as? Bool == true, "\(p50)")
            let evidence = p50["evidence"] as? String ?? ""
            #expect(evidence.contains("baseline") && evidence.contains("canary"), "both paths' figures: \(evidence)")
            let judge = result.json["judge"] as? [String: Any] ?? [:]
            #expect(["proceed", "pause"].contains(judge["action"] as? String ?? ""), "the judge finds no difference: \(judge["reason"] ?? "")")
            #expect(result.status == 0 || result.status == 4, "pause or proceed, never reduce or roll back: \(result.out)\(result.err)")
            #expect(evidence.contains("the environment, not the canary") && p50["action"] as? String == "pause", "\(p50)")
        }
    }

    @Test func withNoHeaderTheUsersAreDividedBetweenTwoURLs() async throws {
        let folder = try temporaryFolder("gate-judge-urls")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in
            c.seedProducts = 300
            c.breakages = [.slowRoute(service: "catalog-service", pathPrefix: "/api/v1/products/", milliseconds: 150)]
        }) { stack in
            let profile = folder.appendingPathComponent("reads.yaml")
            try """
                name: reads
                scenarios:
                  readers:
                    executor: constant-arrival-rate
                    rate: 40
                    duration: 6s
                    pre_allocated_vus: 40
                    max_vus: 80
                    steps:
                      - {name: get product, path: "/api/v1/products/${random_int(1,300)}", check: {status: 200}}
                """.write(to: profile, atomically: true, encoding: .utf8)
            // The monolith and the catalog service directly: no router, no header; the gate divides the users itself.
            let weight = folder.appendingPathComponent("weight")
            try "0".write(to: weight, atomically: true, encoding: .utf8)
            let gate = folder.appendingPathComponent("gate.yaml")
            try """
                target: "\(stack.url("monolith")!)"
                rollout: {kind: command, set: [sh, -c, 'echo "$0" > \(weight.path)', "${percent}"], get: [cat, "\(weight.path)"]}
                stages: {50: reads.yaml}
                slos: []
                split: {baseline_url: "\(stack.url("monolith")!)", canary_url: "\(stack.url("catalog-service")!)"}
                judge:
                  min_samples: 20
                  metrics:
                    - {latency: get product, allowed_increase: 10%, allowed_shift: 20ms, action: rollback}
                """.write(to: gate, atomically: true, encoding: .utf8)
            let result = try await GateCommandTests.gate(gate.path, folder, stage: 50, duration: "6s")
            #expect(result.status == 5, "\(result.out)\(result.err)")
            let metric = try #require(((result.json["judge"] as? [String: Any])?["metrics"] as? [[String: Any]])?.first)
            #expect(metric["classification"] as? String == "High", "\(metric)")
            let baseline = metric["baseline"] as? [String: Any] ?? [:], canary = metric["canary"] as? [String: Any] ?? [:]
            #expect((baseline["samples"] as? Int ?? 0) >= 20 && (canary["samples"] as? Int ?? 0) >= 20, "both URLs served users: \(baseline) \(canary)")
        }
    }
}
