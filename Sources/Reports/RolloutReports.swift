package import Foundation
import Gate
import SLO

extension RolloutReport: JSONHTMLJUnitReport {
    package func json() throws -> Data {
        let document: [String: Any] = [
            "schema_version": Self.schema, "gate": gate, "source": source, "started_at": ISO8601DateFormatter().string(from: startedAt),
            "seconds": seconds, "planned_stages": plannedStages,
            "result": ["exit_code": Int(exitCode), "outcome": outcome, "reason": reason, "rollout_percent": rolloutPercent as Any? ?? NSNull()],
            "stages": try stages.map { try JSONSerialization.jsonObject(with: $0.json()) },
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Each stage's suites, named by the stage.
    package func junit() -> JUnitReport {
        JUnitReport(name: "tollgate rollout", suites: stages.flatMap { stage in
            stage.junit().suites.map { suite in
                var named = suite
                named.name = "stage \(stage.verdict.stage) %: \(suite.name)"
                return named
            }
        })
    }

    /// The page: the outcome, then a timeline of the stages with what each breached.
    package func html() -> String {
        var page = HTMLPage(title: "Rollout \(gate): \(plannedStages.map { "\($0) %" }.joined(separator: " → "))", tiles: [
            ("outcome", outcome, exitCode != 0), ("stages judged", "\(stages.count) of \(plannedStages.count)", false),
            ("rollout now", rolloutPercent.map { "\($0) %" } ?? "?", false), ("time", String(format: "%.0f s", seconds), false),
        ], sections: [])
        page.banner = ("Rollout \(outcome): \(reason)", exitCode != 0)
        page.sections.append(HTMLPage.Section(title: "Timeline", columns: ["stage", "started", "verdict", "breached", "rollout after", "time"], rows: stages.map { stage in
            let breached = stage.triggers.filter { $0.demand != nil }
            return HTMLPage.Row(cells: ["\(stage.verdict.stage) %", ISO8601DateFormatter().string(from: stage.startedAt), stage.verdict.action.phrase,
                                        breached.map { "\($0.name) (\($0.inconclusive == nil ? $0.action.phrase : "inconclusive"))" }.joined(separator: "; "),
                                        stage.rollout.after.map { "\($0) %" } ?? "?", String(format: "%.0f s", stage.seconds)],
                                bad: stage.verdict.action != .proceed, details: breached.map { "\($0.name): \($0.evidence)" })
        }))
        return page.html()
    }

    /// What the command prints at the end.
    package func summaryText() -> String {
        var lines = ["", "Rollout \(gate): \(outcome) — \(reason)"]
        for stage in stages {
            lines.append("  \(stage.verdict.stage) %: \(stage.verdict.action.phrase)" + (stage.rollout.after.map { " (rollout now \($0) %)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
