import CanaryJudge
import Consistency
import ContractCore
import Flows
package import Foundation
import Gate
import LoadEngine
import LoadMetrics
import ResponseParity
import SLO
import Verifier

extension GateReport: JSONHTMLJUnitReport {
    package func json() throws -> Data {
        func object(_ data: Data) throws -> Any { try JSONSerialization.jsonObject(with: data) }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var document: [String: Any] = [
            "schema_version": Self.schema, "gate": gate, "source": source, "target": target,
            "started_at": ISO8601DateFormatter().string(from: startedAt), "seconds": seconds,
            "verdict": ["action": verdict.action.rawValue, "phrase": verdict.action.phrase, "stage": verdict.stage,
                        "rollout_percent": verdict.rolloutPercent, "exit_code": Int(verdict.exitCode), "headline": headline],
            "triggers": try object(encoder.encode(triggers)),
            "rollout": ["before": rollout.before as Any? ?? NSNull(), "during": rollout.during, "after": rollout.after as Any? ?? NSNull(),
                        "applied": rollout.applied, "note": rollout.note],
            "problems": problems,
            "aborted": abortedBecause != nil, "aborted_because": abortedBecause as Any? ?? NSNull(),
        ]
        if let verification { document["contracts"] = try object(Data(JSONWriter.compact(VerificationJSON.document(verification, error: nil)).utf8)) }
        if let flows { document["flows"] = try object(flows.json()) }
        if let load { document["load"] = try object(load.json()) }
        document["metrics"] = try object(JSONEncoder().encode(metrics))
        if let judgement { document["judge"] = try object(JSONEncoder().encode(judgement)) }
        if let judgeSkipped { document["judge_skipped"] = judgeSkipped }
        if let parity { document["parity"] = try object(parity.json()) }
        document["queries"] = try object(encoder.encode(queries))
        document["consistency"] = try consistency.map { entry -> Any in
            var item = try object(JSONEncoder().encode(entry.comparison)) as? [String: Any] ?? [:]
            item["name"] = entry.name
            item["inconsistency_percent"] = entry.comparison.inconsistencyPercent
            return item
        }
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// One suite of the triggers (a breached trigger is a failure), then each part's own cases.
    package func junit() -> JUnitReport {
        var suites = [JUnitReport.TestSuite(name: "gate \(gate) stage \(verdict.stage) %: \(headline)", cases: triggers.map { trigger in
            JUnitReport.TestCase(className: "gate.triggers", name: "\(trigger.name) (\(trigger.action.phrase) if breached)", seconds: 0,
                                 result: trigger.inconclusive.map { .failed(message: "inconclusive: \($0): pause", details: trigger.evidence) }
                                    ?? (trigger.breached
                                    ? .failed(message: "\(Self.figure(trigger.value, trigger.unit)) breaches \(Self.figure(trigger.threshold, trigger.unit)): \(trigger.action.phrase)",
                                              details: trigger.evidence)
                                    : .passed))
        } + problems.map { JUnitReport.TestCase(className: "gate.problems", name: $0, seconds: 0, result: .error(message: $0)) })]
        if let verification { suites += VerificationJUnit.report(verification, error: nil).suites }
        if let flows { suites += flows.junit().suites }
        if let judgement { suites += JudgeReport.junitSuites(judgement) }
        if let parity { suites += parity.junit().suites }
        if let load { suites += load.junit().suites }
        return JUnitReport(name: "tollgate gate", suites: suites)
    }

    package func html() -> String {
        let bad = verdict.action != .proceed
        var page = HTMLPage(title: "Gate \(gate): stage \(verdict.stage) %", tiles: [
            ("verdict", verdict.action.phrase, bad), ("rollout now", rollout.after.map { "\($0) %" } ?? "?", false),
            ("triggers breached", "\(triggers.filter(\.breached).count) of \(triggers.count)"
                + (triggers.contains { $0.inconclusive != nil } ? ", \(triggers.filter { $0.inconclusive != nil }.count) inconclusive" : ""), bad),
            ("time", String(format: "%.1f s", seconds), false),
        ], sections: [])
        page.banner = ("Verdict: \(headline)" + (abortedBecause.map { " — stopped early: \($0)" } ?? ""), bad)
        page.notes = [rollout.note] + problems.map { "could not run: \($0)" }
        page.sections.append(HTMLPage.Section(title: "Rollout triggers", columns: ["trigger", "value", "threshold", "breached", "action if breached", "evidence"],
                                              rows: triggers.map { trigger in
            HTMLPage.Row(cells: [trigger.name, trigger.inconclusive == nil ? Self.figure(trigger.value, trigger.unit) : "no data",
                                 Self.figure(trigger.threshold, trigger.unit),
                                 trigger.inconclusive.map { "inconclusive: \($0) → pause" } ?? (trigger.breached ? "yes" : "no"), trigger.action.phrase, trigger.evidence],
                         bad: trigger.demand != nil)
        }))
        if let verification {
            page.sections.append(HTMLPage.Section(title: "Contracts: \(verification.passed) of \(verification.results.count) interactions verified",
                                                  columns: ["consumer → provider", "interaction", "result"], rows: verification.results.map { result in
                HTMLPage.Row(cells: ["\(result.consumer) → \(result.provider)", result.description,
                                     result.outcome.isPassed ? "passed" : result.pending ? "failed (pending: not counted)" : "failed"],
                             bad: !result.outcome.isPassed && !result.pending)
            }))
        }
        if let flows {
            page.sections.append(HTMLPage.Section(title: "Flows: \(flows.runs.filter(\.passed).count) of \(flows.runs.count) runs passed",
                                                  columns: ["flow", "result", "time", "first failure"], rows: flows.runs.map { run in
                let failed = run.steps.first { $0.status == .failed }
                return HTMLPage.Row(cells: ["\(run.flow) #\(run.iteration)", run.passed ? "passed" : "failed", String(format: "%.2f s", run.seconds),
                                            failed.map { "\($0.name): \($0.failure ?? "a check failed")" } ?? ""],
                                    bad: !run.passed, details: failed.map { [FlowReport.details($0)] } ?? [])
            }))
        }
        if let load {
            let total = GroupSummary(load.metrics.total, duration: load.run.durationSeconds)
            page.sections.append(HTMLPage.Section(title: "Load: \(load.run.profile)", columns: ["requests", "rate", "errors", "p50", "p95", "p99"], rows: [
                HTMLPage.Row(cells: ["\(total.requests)", String(format: "%.1f/s", total.ratePerSecond), String(format: "%.2f %%", total.errorRatePercent),
                                     String(format: "%.1f ms", total.latency.p50), String(format: "%.1f ms", total.latency.p95),
                                     String(format: "%.1f ms", total.latency.p99)], bad: !load.verdict.passed),
            ]))
        }
        if let load, !load.metrics.byPath.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Paths: the same load, split between the baseline and the canary",
                                                  columns: ["path", "requests", "errors", "p50", "p95", "p99"], rows: TrafficPath.allCases.map { path in
                let stats = GroupSummary(load.metrics.byPath[path]?.total ?? RequestStats(), duration: load.run.durationSeconds)
                return HTMLPage.Row(cells: [path.rawValue, "\(stats.requests)", String(format: "%.2f %%", stats.errorRatePercent), String(format: "%.1f ms", stats.latency.p50),
                                            String(format: "%.1f ms", stats.latency.p95), String(format: "%.1f ms", stats.latency.p99)])
            }))
        }
        if let judgement {
            page.sections += judgement.sections.map { section in
                var titled = section
                titled.title = "Canary judge: \(judgement.action.phrase) — \(judgement.reason)"
                return titled
            }
            page.charts += judgement.charts
        } else if let judgeSkipped {
            page.notes.append("Canary judge: not run — \(judgeSkipped).")
        }
        if let parity {
            page.sections.append(HTMLPage.Section(title: "Response parity: \(parity.candidate) vs \(parity.baseline)", columns: ["endpoint", "requests", "differing", "first differing paths", "noise learned"],
                                                  rows: parity.endpoints.map { endpoint in
                HTMLPage.Row(cells: [endpoint.pattern, "\(endpoint.requests)", String(format: "%d (%.2f %%)", endpoint.differing, endpoint.differingPercent),
                                     endpoint.differences.prefix(3).map { "\($0.path): \($0.baseline ?? "absent") → \($0.candidate ?? "absent")" }.joined(separator: "; "),
                                     endpoint.noise.joined(separator: ", ")], bad: endpoint.differingPercent > parity.threshold)
            }))
        }
        if !metrics.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Service metrics", columns: ["check", "requests", "errors", "error share", "source"], rows: metrics.map { reading in
                HTMLPage.Row(cells: [reading.name, String(format: "%.0f", reading.requests), String(format: "%.0f", reading.errors),
                                     String(format: "%.2f %%", reading.errorPercent), reading.url], bad: reading.errors > 0)
            }))
        }
        if !queries.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Prometheus queries", columns: ["trigger", "query", "condition", "measurements", "server"], rows: queries.map { reading in
                let values = reading.measurements.map { m in
                    String(format: "%.0fs ", m.at) + (m.value.map { String(format: "%g", $0) } ?? "— (\(m.problem ?? "no value"))")
                }
                return HTMLPage.Row(cells: [reading.name, reading.sent, reading.condition, values.joined(separator: "; "), reading.prometheus],
                                    bad: reading.failed > 0 || reading.inconclusive > 0)
            }))
        }
        if !consistency.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Data consistency", columns: ["table", "source rows", "target rows", "first pass", "re-checks",
                                                                                         "missing in target", "differing", "confirmed inconsistent"],
                                                  rows: consistency.map { entry in
                let c = entry.comparison
                var details = c.examples.missingInTarget.map { "missing in target: \($0)" }
                details += c.examples.differing.map { d in "differs: \(d.key) " + d.columns.map { "\($0.column): \($0.source ?? "NULL") ≠ \($0.target ?? "NULL")" }.joined(separator: ", ") }
                return HTMLPage.Row(cells: [entry.name, "\(c.sourceRows)", "\(c.targetRows)", "\(c.firstPassInconsistentRows)",
                                            c.recheckRounds == 0 ? "none" : "\(c.recheckRounds) × \(Int(c.recheckAfter.rounded())) s",
                                            "\(c.missingInTarget)", "\(c.differing)",
                                            (c.atLeast ? "≥ " : "") + String(format: "%.4f %%", c.inconsistencyPercent)], bad: c.inconsistentRows > 0, details: details)
            }))
        }
        return page.html()
    }

    /// The plain-text summary the command prints.
    package func summaryText() -> String {
        var lines = ["", "Gate \(gate), stage \(verdict.stage) %:"]
        // Names line up to 26 characters; a longer one is shown whole (it was cut).
        for trigger in triggers {
            let name = trigger.name.count >= 26 ? trigger.name : trigger.name.padding(toLength: 26, withPad: " ", startingAt: 0)
            if let reason = trigger.inconclusive {
                lines.append("  ? \(name) inconclusive: \(reason) → pause")
                continue
            }
            lines.append("  \(trigger.breached ? "✗" : "✓") \(name) \(Self.figure(trigger.value, trigger.unit)) (limit \(Self.figure(trigger.threshold, trigger.unit)))\(trigger.breached ? " → \(trigger.action.phrase)" : "")")
            if trigger.breached { lines.append("      \(trigger.evidence)") }
        }
        for problem in problems { lines.append("  ✗ could not run: \(problem)") }
        lines.append("Verdict: \(headline.uppercased().prefix(1))\(headline.dropFirst())  (exit \(verdict.exitCode))")
        lines.append(rollout.note)
        return lines.joined(separator: "\n")
    }

    static func figure(_ value: Double, _ unit: String) -> String {
        switch unit {
        case "%": return value >= 0.1 || value == 0 ? String(format: "%.2f %%", value) : String(format: "%.4f %%", value)
        case "ms": return String(format: "%.1f ms", value)
        default:
            // A PromQL value has no unit and may be small (an error ratio of 0.001): its significant digits.
            let number = value.rounded() == value && abs(value) < 1e15 ? String(format: "%.0f", value) : String(format: unit.isEmpty ? "%.4g" : "%.2f", value)
            return number + (unit.isEmpty ? "" : " " + unit)
        }
    }
}
