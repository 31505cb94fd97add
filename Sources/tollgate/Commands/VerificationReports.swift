import ContractCore
import Foundation
import Reports
import Verifier

/// Verification results as an HTML page: headline tiles, one table per pact.
enum VerificationHTML {
    static func page(_ report: VerificationReport, error: String?) -> HTMLPage {
        let sections = report.bySource.map { source, results in
            HTMLPage.Section(
                title: "\(results[0].consumer) → \(results[0].provider) (\(source))",
                columns: ["interaction", "provider states", "target", "result", "time"],
                rows: results.map { r in
                    let status: String
                    var details: [String] = []
                    switch r.outcome {
                    case .passed: status = "✓ passed"
                    case .failed(let mismatches):
                        status = r.pending ? "✗ failed (pending)" : "✗ failed"
                        details = mismatches.map(\.explanation)
                    case .error(let message):
                        status = r.pending ? "✗ error (pending)" : "✗ error"
                        details = [message]
                    }
                    return HTMLPage.Row(cells: [r.description, r.providerStates.joined(separator: "; "), r.target, status,
                                                String(format: "%.0f ms", r.duration * 1000)],
                                        bad: !r.outcome.isPassed && !r.pending, details: details)
                })
        }
        var tiles: [(label: String, value: String, bad: Bool)] = [
            ("verdict", error != nil ? "error" : report.succeeded ? "verified" : "failed", error != nil || !report.succeeded),
            ("interactions", "\(report.results.count)", false),
            ("passed", "\(report.passed)", false),
            ("failed", "\(report.failures.count)", !report.failures.isEmpty),
        ]
        if report.pendingFailures > 0 { tiles.append(("pending failed (not counted)", "\(report.pendingFailures)", false)) }
        var all = sections
        if let error { all.insert(HTMLPage.Section(title: "The run could not be done", columns: ["error"], rows: [HTMLPage.Row(cells: [error], bad: true)]), at: 0) }
        return HTMLPage(title: "Contract verification", tiles: tiles, sections: all)
    }
}

/// Verification results as JUnit: one suite per pact, one case per interaction.
enum VerificationJUnit {
    static func report(_ report: VerificationReport, error: String?) -> JUnitReport {
        var suites = report.bySource.map { _, results in
            JUnitReport.TestSuite(name: "\(results[0].consumer) → \(results[0].provider)", cases: results.map { r in
                let given = r.providerStates.isEmpty ? "" : " given \(r.providerStates.joined(separator: ", "))"
                let result: JUnitReport.TestCase.Result
                switch r.outcome {
                case .passed: result = .passed
                case .failed(let mismatches) where r.pending:
                    result = .skipped(message: "pending interaction failed: \(mismatches.first?.description ?? "")")
                case .error(let message) where r.pending: result = .skipped(message: "pending interaction: \(message)")
                case .failed(let mismatches):
                    result = .failed(message: "\(mismatches.count) mismatch(es): \(mismatches.first?.description ?? "")",
                                     details: mismatches.map(\.explanation).joined(separator: "\n"))
                case .error(let message): result = .error(message: message)
                }
                return JUnitReport.TestCase(className: "\(r.consumer).\(r.provider)", name: r.description + given, seconds: r.duration, result: result)
            })
        }
        if let error { suites.append(JUnitReport.TestSuite(name: "verification", cases: [JUnitReport.TestCase(className: "tollgate", name: "run", seconds: 0, result: .error(message: error))])) }
        return JUnitReport(name: "tollgate verify", suites: suites)
    }
}
