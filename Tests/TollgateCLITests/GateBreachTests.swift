import Foundation
import ReferenceServices
import TestSupport
import Testing

/// `tollgate gate` finding what is wrong with a stage — a failing or slow payment provider, server
/// errors — with real traffic (lost dual writes: GateCommandTests). Serialized, as GateCommandTests is, and beside
/// it rather than after it: two gates at a time at most. In this order: the cases whose verdict a
/// busy machine cannot change come first, while the rest of the suite starts; those that count
/// charges come once it is quieter.
@Suite(.serialized) struct GateBreachTests {
    @Test func aPaymentProviderThatIsDownFailsEveryPurchase() async throws {
        let folder = try temporaryFolder("gate-provider-down")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 10; c.providerFaults = ProviderFaults(latencyMs: 0, failureRate: 1) }) { stack in
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: ["purchase"])
            let result = try await GateCommandTests.gate(file, folder)
            #expect(result.status == 5, "\(result.out)\(result.err)")
            #expect(GateCommandTests.trigger(result.json, "payment_failure_rate")?["breached"] as? Bool == true)
            #expect(GateCommandTests.trigger(result.json, "flow failures")?["breached"] as? Bool == true)
            #expect(await stack.rollout.percent == 25, "without --auto-rollback the gateway stays at the stage")
        }
    }

    @Test func serverErrorsRollBack() async throws {
        let folder = try temporaryFolder("gate-5xx")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The categories answer 500: the shopping mix's cart sequence (10 % of iterations) fails.
        try await withStack({ c in c.seedProducts = 300; c.breakages = [.failRoute(service: "catalog-service", pathPrefix: "/api/v1/categories")] }) { stack in
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: ["purchase"])
            let result = try await GateCommandTests.gate(file, folder, stage: 100)
            #expect(result.status == 5, "\(result.out)\(result.err)")
            #expect((result.json["verdict"] as? [String: Any])?["action"] as? String == "rollback")
            let errors = try #require(GateCommandTests.trigger(result.json, "error_rate"))
            #expect(errors["breached"] as? Bool == true && (errors["value"] as? Double ?? 0) > 1, "\(errors)")
            #expect((errors["evidence"] as? String ?? "").contains("status 500"), "\(errors)")
            #expect(await stack.rollout.percent == 100, "without --auto-rollback the gateway stays at the stage")
            #expect(result.out.contains("apply it with --auto-rollback"), "\(result.out)")
        }
    }

    @Test func slowPaymentsReduceTrafficToHalfTheStage() async throws {
        let folder = try temporaryFolder("gate-latency")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Every charge takes 800 ms at the provider: orders are slow, nothing fails.
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 0; c.providerFaults = ProviderFaults(latencyMs: 800, failureRate: 0) }) { stack in
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: ["purchase"],
                                         slos: #"["error_rate<=1%:rollback", "p95{tag=payment}<=500ms:reduce", "payment_failure_rate<=0.1%:rollback"]"#)
            let result = try await GateCommandTests.gate(file, folder, stage: 100, ["--auto-rollback"])
            #expect(result.status == 3, "\(result.out)\(result.err)")
            let verdict = try #require(result.json["verdict"] as? [String: Any])
            #expect(verdict["action"] as? String == "reduce" && verdict["rollout_percent"] as? Int == 50)
            let latency = try #require(GateCommandTests.trigger(result.json, "p95{tag=payment}"))
            #expect(latency["breached"] as? Bool == true && (latency["value"] as? Double ?? 0) > 500, "\(latency)")
            #expect((latency["evidence"] as? String ?? "").contains("slowest: place order"), "\(latency)")
            #expect(GateCommandTests.trigger(result.json, "error_rate")?["breached"] as? Bool == false)
            #expect(await stack.rollout.percent == 50, "reduced to half the stage")
        }
    }

    /// Checkouts slower than some customers wait (a healthy provider answering in 800 ms, half
    /// the buyers giving up at 300 ms): errors and latency, not payment failures.
    @Test func checkoutsTheClientGaveUpOnAreUnknownPaymentsNotFailures() async throws {
        let folder = try temporaryFolder("gate-payment-unknown")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = folder.appendingPathComponent("checkouts.yaml")
        let buyers = { (name: String, timeout: String) in
            GateCommandTests.checkoutScenario(name: name, rate: 6, timeout: timeout, duration: "6s", preAllocated: 10, maxVUs: 100)
        }
        try ("name: patient-and-impatient-buyers\nscenarios:\n" + buyers("patient", "5s") + buyers("impatient", "300ms"))
            .write(to: profile, atomically: true, encoding: .utf8)
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 0; c.providerFaults = ProviderFaults(latencyMs: 800, failureRate: 0) }) { stack in
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: ["purchase"],
                                                     slos: #"["error_rate<=1%:rollback", "p95{tag=payment}<=500ms:reduce", "payment_failure_rate<=0.1%:rollback"]"#,
                                                     stage25Profile: profile.path)
            let result = try await GateCommandTests.gate(file, folder, duration: "6s")
            #expect(result.status == 5, "\(result.out)\(result.err)")
            #expect(GateCommandTests.trigger(result.json, "error_rate")?["breached"] as? Bool == true, "\(result.out)")
            #expect(GateCommandTests.trigger(result.json, "p95{tag=payment}")?["breached"] as? Bool == true, "\(result.out)")
            let payments = try #require(GateCommandTests.trigger(result.json, "payment_failure_rate"))
            #expect(payments["breached"] as? Bool == false && payments["inconclusive"] == nil && payments["value"] as? Double == 0, "\(payments)")
            let evidence = payments["evidence"] as? String ?? ""
            #expect(evidence.contains("failed 0, unknown (no answer) ") && !evidence.contains("unknown (no answer) 0"), "\(evidence)")
            // The charges the impatient buyers left behind completed at the provider: the services' own counters say so.
            #expect(GateCommandTests.trigger(result.json, "payment provider failures")?["breached"] as? Bool == false, "\(result.out)")
        }
    }

    @Test func aPaymentProviderFailing2PercentRollsBackToZero() async throws {
        let folder = try temporaryFolder("gate-provider")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = folder.appendingPathComponent("checkouts.yaml")
        try GateCommandTests.checkouts.write(to: profile, atomically: true, encoding: .utf8)
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 10; c.providerFaults = ProviderFaults(latencyMs: 0, failureRate: 0.02) }) { stack in
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: ["purchase"], stage25Profile: profile.path)
            let result = try await GateCommandTests.gate(file, folder, duration: "7s", ["--auto-rollback"])
            #expect(result.status == 5, "\(result.out)\(result.err)")
            let verdict = try #require(result.json["verdict"] as? [String: Any])
            #expect(verdict["action"] as? String == "rollback" && verdict["rollout_percent"] as? Int == 0)
            // The services retry a failed charge, so customers rarely see it; the provider's own counters do.
            let provider = try #require(GateCommandTests.trigger(result.json, "payment provider failures"))
            #expect(provider["breached"] as? Bool == true && (provider["value"] as? Double ?? 0) > 0.1, "\(provider)")
            #expect((provider["evidence"] as? String ?? "").contains("route=/v1/payment_intents"), "\(provider)")
            let reading = try #require((result.json["metrics"] as? [[String: Any]])?.first)
            // The provider fails every 50th charge (an even share, not a draw), so 100 charges are two
            // failures whatever the luck; a busy machine drops many of the 420 iterations planned.
            #expect((reading["requests"] as? Double ?? 0) >= 100, "\(reading)")
            #expect(await stack.rollout.percent == 0, "--auto-rollback applied the verdict")
            let rollout = try #require(result.json["rollout"] as? [String: Any])
            #expect(rollout["applied"] as? Bool == true && rollout["before"] as? Int == 10 && rollout["after"] as? Int == 0)
            #expect(result.out.contains("Verdict: Roll back to 0 %"), "\(result.out)")
        }
    }
}
