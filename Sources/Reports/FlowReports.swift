package import Flows
import Foundation

extension FlowReport: JSONHTMLJUnitReport {
    /// One suite per run, one test case per step (skipped steps as skipped).
    package func junit() -> JUnitReport {
        JUnitReport(name: "tollgate flow", suites: runs.map { run in
            JUnitReport.TestSuite(name: "\(run.flow) #\(run.iteration)", cases: run.steps.map { step in
                let result: JUnitReport.TestCase.Result
                switch step.status {
                case .passed: result = .passed
                case .skipped: result = .skipped(message: step.note ?? "an earlier step failed")
                case .failed: result = .failed(message: step.failure ?? "failed", details: Self.details(step))
                }
                return JUnitReport.TestCase(className: "flow.\(run.flow)", name: step.name, seconds: step.seconds, result: result)
            })
        })
    }

    /// The self-contained HTML page.
    package func html() -> String {
        let steps = runs.flatMap(\.steps)
        var page = HTMLPage(title: "Flows against \(target)", tiles: [
            ("flow runs", "\(runs.count)", false), ("passed", "\(runs.filter(\.passed).count)", false),
            ("failed", "\(runs.filter { !$0.passed }.count)", runs.contains { !$0.passed }),
            ("steps", "\(steps.count)", false),
        ], sections: [])
        page.banner = (passed ? "Every flow passed" : "A flow failed", !passed)
        for run in runs {
            page.sections.append(HTMLPage.Section(title: "\(run.passed ? "✓" : "✗") \(run.flow) #\(run.iteration) — \(String(format: "%.2f s", run.seconds))",
                                                  columns: ["step", "kind", "result", "time"], rows: run.steps.map { step in
                HTMLPage.Row(cells: [step.name, step.kind, step.status.rawValue, String(format: "%.0f ms", step.seconds * 1000)],
                             bad: step.status == .failed, details: step.status == .failed ? [Self.details(step)] : [])
            }))
        }
        return page.html()
    }

    /// What a failed step sent, got, and why it failed.
    package static func details(_ step: FlowStepResult) -> String {
        var lines: [String] = []
        if let failure = step.failure { lines.append("why: \(failure)") }
        if step.failure == nil {
            for check in step.checks where !check.passed { lines.append("check '\(check.description)' failed: \(check.detail ?? "")") }
        }
        if let request = step.request { lines.append("request:\n\(request)") }
        if let response = step.response { lines.append("response:\n\(response)") }
        return lines.joined(separator: "\n")
    }
}
