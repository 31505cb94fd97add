import Foundation
import ReferenceServices
import TestSupport
import Testing

/// `tollgate gate` with the shipped PromQL triggers (`loadprofiles/gate-prometheus.yaml`)
/// finding a failing and a slow payment provider. A suite apart from PrometheusGateTests,
/// with its own Prometheus, so that the two run side by side.
@Suite(.serialized, .enabled(if: PrometheusServer.binary != nil, "needs Debian's prometheus: make test installs it"), .sharedPrometheus)
struct PrometheusBreachTests {
    @Test func aProviderFailing3PercentOfChargesRollsBack() async throws {
        let folder = try temporaryFolder("prom-failing")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withPrometheus({ c in
            c.seedProducts = 300; c.rolloutPercent = 10; c.providerFaults = ProviderFaults(latencyMs: 0, failureRate: 0.03)
        }) { stack, prometheus in
            let result = try await GateCommandTests.gate(try PrometheusGateTests.gateFile(stack, prometheus, in: folder), folder, duration: "6s")
            #expect(result.status == 5, "\(result.out)\(result.err)")
            #expect((result.json["verdict"] as? [String: Any])?["action"] as? String == "rollback")
            let payments = PrometheusGateTests.trigger(result.json, "payment provider failures")
            #expect(payments["breached"] as? Bool == true && (payments["value"] as? Double ?? 0) > 0.001, "\(payments)")
        }
    }

    @Test func aSlowProviderReducesOnTheOrderRoutesP95() async throws {
        let folder = try temporaryFolder("prom-slow")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withPrometheus({ c in
            c.seedProducts = 300; c.rolloutPercent = 10; c.providerFaults = ProviderFaults(latencyMs: 700, failureRate: 0)
        }) { stack, prometheus in
            let result = try await GateCommandTests.gate(try PrometheusGateTests.gateFile(stack, prometheus, in: folder, splitTolerance: "0.25"), folder, duration: "6s")
            #expect(result.status == 3, "\(result.out)\(result.err)")
            #expect((result.json["verdict"] as? [String: Any])?["action"] as? String == "reduce")
            let p95 = PrometheusGateTests.trigger(result.json, "order p95")
            #expect(p95["breached"] as? Bool == true && (p95["value"] as? Double ?? 0) > 0.5, "\(p95)")
        }
    }
}
