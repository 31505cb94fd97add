package import ContractCore
import Foundation
package import Verifier

/// Verification results as an HTML page: headline tiles, one table per pact.
package enum VerificationHTML {
    package static func page(_ report: VerificationReport, error: String?) -> HTMLPage {
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
                    details += r.warnings.map { "warning: " + $0.explanation }
                    return HTMLPage.Row(cells: [r.description, r.providerStates.joined(separator: "; "), r.target,
                                                status + (r.warnings.isEmpty ? "" : " (\(r.warnings.count) warning\(r.warnings.count == 1 ? "" : "s"))"),
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
        if report.warnings > 0 { tiles.append(("warnings", "\(report.warnings)", false)) }
        var all = sections
        if let error { all.insert(HTMLPage.Section(title: "The run could not be done", columns: ["error"], rows: [HTMLPage.Row(cells: [error], bad: true)]), at: 0) }
        return HTMLPage(title: "Contract verification", tiles: tiles, sections: all)
    }
}

/// Verification results as JUnit: one suite per pact, one case per interaction.
package enum VerificationJUnit {
    package static func report(_ report: VerificationReport, error: String?) -> JUnitReport {
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
                return JUnitReport.TestCase(className: "\(r.consumer).\(r.provider)", name: r.description + given, seconds: r.duration, result: result,
                                            output: r.warnings.isEmpty ? nil : r.warnings.map { "warning: " + $0.explanation }.joined(separator: "\n"))
            })
        }
        if let error { suites.append(JUnitReport.TestSuite(name: "verification", cases: [JUnitReport.TestCase(className: "tollgate", name: "run", seconds: 0, result: .error(message: error))])) }
        return JUnitReport(name: "tollgate verify", suites: suites)
    }
}

/// Verification results as the JSON report, schema `tollgate.verification/v1` (see contracts/README.md).
package enum VerificationJSON {
    /// The document; with `error`, the run could not be done: `result` is `error` and `error` says why.
    package static func document(_ report: VerificationReport, error: String?) -> JSONValue {
        let pacts: [JSONValue] = report.bySource.map { group in
            .object(JSONObject([
                ("consumer", .string(group.results[0].consumer)), ("provider", .string(group.results[0].provider)), ("source", .string(group.source)),
                ("interactions", .array(group.results.map(interaction))),
            ]))
        }
        var fields: [(String, JSONValue)] = [
            ("schema", "tollgate.verification/v1"),
            ("started_at", .string(report.startedAt.formatted(Date.ISO8601FormatStyle()))),
            ("duration_seconds", .decimal((report.duration * 1000).rounded() / 1000)),
            ("result", .string(error != nil ? "error" : report.succeeded ? "passed" : "failed")),
            ("summary", .object(JSONObject([
                ("interactions", .integer(Int64(report.results.count))), ("passed", .integer(Int64(report.passed))),
                ("failed", .integer(Int64(report.failures.count))), ("pending_failed", .integer(Int64(report.pendingFailures))),
                ("errors", .integer(Int64(report.errors))), ("warnings", .integer(Int64(report.warnings))),
            ]))),
            ("pacts", .array(pacts)),
        ]
        if let error { fields.append(("error", .string(error))) }
        return .object(JSONObject(fields))
    }

    static func interaction(_ r: InteractionResult) -> JSONValue {
        var o = JSONObject([
            ("description", .string(r.description)), ("provider_states", .array(r.providerStates.map { .string($0) })),
            ("type", .string(r.kind)), ("target", .string(r.target)), ("pending", .bool(r.pending)),
            ("duration_seconds", .decimal((r.duration * 1000).rounded() / 1000)),
        ])
        switch r.outcome {
        case .passed: o["status"] = "passed"
        case .failed(let mismatches):
            o["status"] = "failed"
            o["mismatches"] = .array(mismatches.map(\.json))
        case .error(let message):
            o["status"] = "error"
            o["error"] = .string(message)
        }
        if !r.warnings.isEmpty { o["warnings"] = .array(r.warnings.map(\.json)) }
        return .object(o)
    }
}

/// The verification reports a run asked for, written together.
package enum VerificationReportFiles {
    /// Writes each report whose path is given; the first that cannot be written is the error.
    package static func write(_ report: VerificationReport, error: String?, json: String?, junit: String?, html: String?) throws {
        if let json { try ReportFile.writeJSON(VerificationJSON.document(report, error: error), to: json) }
        if let junit { try ReportFile.write(VerificationJUnit.report(report, error: error).xml(), to: junit) }
        if let html { try ReportFile.write(VerificationHTML.page(report, error: error).html(), to: html) }
    }
}
