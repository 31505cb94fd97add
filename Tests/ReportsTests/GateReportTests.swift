import Consistency
import Foundation
import Gate
import Reports
import SLO
import Testing

/// The gate's combined report: one verdict, every trigger with its evidence.
struct GateReportTests {
    static func sample() -> GateReport {
        let triggers = [
            GateTrigger(name: "error_rate", value: 3.2, threshold: 1, unit: "%", breached: true, action: .rollback,
                        evidence: "5xx 12 (e.g. <script>alert(1)</script> & more)"),
            GateTrigger(name: "p95", value: 120, threshold: 500, unit: "ms", breached: false, action: .reduce, evidence: "slowest: place order 120 ms"),
            GateTrigger(name: "data inconsistency", value: 0.5, threshold: 0.01, unit: "%", breached: true, action: .pause, evidence: "orders: 1 of 200 rows"),
        ]
        var comparison = TableComparison(source: "order-service", target: "monolith")
        comparison.sourceRows = 200
        comparison.targetRows = 199
        comparison.missingInTarget = 1
        comparison.examples.missingInTarget = ["ord-1"]
        return GateReport(gate: "storefront", source: "gate.yaml", target: "http://127.0.0.1:8000", startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                          seconds: 12.5, rollout: .init(before: 10, during: 25, after: 0, applied: true, note: "--auto-rollback: 0 %"),
                          verdict: GateVerdict(stage: 25, triggers: triggers), triggers: triggers, verification: nil, flows: nil, load: nil,
                          consistency: [("orders", comparison)], problems: [], abortedBecause: nil)
    }

    @Test func theJSONCarriesTheVerdictAndEveryTrigger() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Self.sample().json()) as? [String: Any])
        #expect(json["schema_version"] as? String == "tollgate.gate/v1")
        let verdict = try #require(json["verdict"] as? [String: Any])
        #expect(verdict["action"] as? String == "rollback" && verdict["rollout_percent"] as? Int == 0 && verdict["exit_code"] as? Int == 5)
        let triggers = try #require(json["triggers"] as? [[String: Any]])
        #expect(triggers.map { $0["name"] as? String } == ["error_rate", "p95", "data inconsistency"])
        #expect(triggers[0]["value"] as? Double == 3.2 && triggers[0]["threshold"] as? Double == 1 && triggers[0]["breached"] as? Bool == true
                && triggers[0]["action"] as? String == "rollback")
        let rollout = try #require(json["rollout"] as? [String: Any])
        #expect(rollout["before"] as? Int == 10 && rollout["after"] as? Int == 0 && rollout["applied"] as? Bool == true)
        let consistency = try #require((json["consistency"] as? [[String: Any]])?.first)
        #expect(consistency["name"] as? String == "orders" && consistency["missing_in_target"] as? Int == 1)
        #expect(json["aborted"] as? Bool == false)
    }

    @Test func theHTMLEscapesEvidenceAndTheJUnitFailsBreachedTriggers() {
        let report = Self.sample()
        let html = report.html()
        #expect(html.contains("Verdict: roll back to 0 %"))
        #expect(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"))
        #expect(html.contains("missing in target: ord-1"))
        let junit = report.junit().xml()
        #expect(junit.contains(#"failures="2""#), "two breached triggers")
        #expect(junit.contains(#"name="p95 (reduce traffic if breached)""#))
        #expect(report.summaryText().contains("Verdict: Roll back to 0 %  (exit 5)"))
    }

    /// Trigger names were cut at 26 characters in the console.
    @Test func longTriggerNamesAreShownWhole() {
        var report = Self.sample()
        let name = "payment provider failures (its own counters, route /v1/payment_intents)"
        report.triggers.append(GateTrigger(name: name, value: 0, threshold: 0.1, unit: "%", breached: false, action: .rollback, evidence: ""))
        #expect(report.summaryText().contains("✓ \(name) "), "\(report.summaryText())")
    }
}
