import ContractCore
import Foundation
import Reports
import Synchronization
import Verifier

/// Results as they finish, for a report when the run is cut short.
final class FinishedResults: Sendable {
    private let results = Mutex<[InteractionResult]>([])
    func append(_ result: InteractionResult) { results.withLock { $0.append(result) } }
    var all: [InteractionResult] { results.withLock { $0 } }
}

/// Prints results as a tree (consumer → provider, then interactions) as they arrive.
final class TreePrinter: Sendable {
    /// The pact file the last result came from; held while a result prints, so results print whole.
    private let currentSource = Mutex<String?>(nil)

    func print(_ result: InteractionResult) {
        currentSource.withLock { currentSource in
            if result.source != currentSource {
                currentSource = result.source
                Swift.print("\n\(result.consumer) → \(result.provider)  (\(result.source))")
            }
            printLines(result)
        }
    }

    private func printLines(_ result: InteractionResult) {
        let given = result.providerStates.isEmpty ? "" : " given \(result.providerStates.map { "'\($0)'" }.joined(separator: ", "))"
        let pending = result.pending ? " [pending]" : ""
        let time = String(format: "%.0f ms", result.duration * 1000)
        switch result.outcome {
        case .passed:
            // A check against a document takes no time worth showing; the operation it found is.
            Swift.print("  ✓ \(result.description)\(given)\(pending)  \(result.kind == "openapi" ? "— " + result.target : time)")
        case .failed(let mismatches):
            Swift.print("  ✗ \(result.description)\(given)\(pending)  — \(result.target), \(mismatches.count) mismatch(es)")
            for (m, alike) in Self.grouped(mismatches) {
                Swift.print("      \(Self.place(m)): \(m.message)" + (alike > 0 ? "  (and \(alike) more element(s) like it)" : ""))
                if let e = m.expected { Swift.print("        - \(Self.short(e))") }
                if let a = m.actual { Swift.print("        + \(Self.short(a))") }
            }
        case .error(let message):
            Swift.print("  ✗ \(result.description)\(given)\(pending)  — error: \(message)")
        }
        for (warning, alike) in Self.grouped(result.warnings) {
            Swift.print("      ⚠ \(Self.place(warning)): \(warning.message)" + (alike > 0 ? "  (and \(alike) more element(s) like it)" : ""))
        }
    }

    /// Where in the pact, and where in the document it was checked against when there is one.
    static func place(_ mismatch: Mismatch) -> String {
        mismatch.path + (mismatch.documentPath.map { "\n        ↔ \($0)" } ?? "")
    }

    /// Mismatches that differ only in array indices and say the same, shown once with a count.
    static func grouped(_ mismatches: [Mismatch]) -> [(Mismatch, Int)] {
        let indices = try! NSRegularExpression(pattern: #"\[\d+\]"#)
        var order: [String] = []
        var groups: [String: (Mismatch, Int)] = [:]
        for m in mismatches {
            let shape = indices.stringByReplacingMatches(in: m.path, range: NSRange(m.path.startIndex..., in: m.path), withTemplate: "[*]")
            let key = shape + "\u{0}" + m.message.replacingOccurrences(of: m.actual ?? "\u{1}", with: "")
            if let existing = groups[key] { groups[key] = (existing.0, existing.1 + 1) } else { order.append(key); groups[key] = (m, 0) }
        }
        return order.map { groups[$0]! }
    }

    static func short(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        return oneLine.count > 120 ? String(oneLine.prefix(117)) + "..." : oneLine
    }

    /// - Parameter against: the OpenAPI document the pacts were checked against, if that was the run.
    func summary(_ report: VerificationReport, against document: String? = nil) {
        let failed = report.failures.count
        var parts = ["\(report.results.count) interaction(s)", "\(report.passed) passed", "\(failed) failed"]
        if report.pendingFailures > 0 { parts.append("\(report.pendingFailures) pending failed (not counted)") }
        if report.warnings > 0 { parts.append("\(report.warnings) warning(s)") }
        Swift.print("\n\(failed == 0 ? "✓ Verified" : "✗ Verification failed")\(document.map { " against \($0)" } ?? ""): \(parts.joined(separator: ", ")) in \(String(format: "%.2f", report.duration)) s")
    }
}

/// Where `verify` writes its reports (also when the run cannot be done), and how it stops then.
struct VerifyOutput {
    let json: String?
    let junit: String?
    let html: String?

    func write(_ report: VerificationReport, error: String?) {
        do {
            try VerificationReportFiles.write(report, error: error, json: json, junit: junit, html: html)
        } catch {
            FileHandle.standardError.write(Data("tollgate verify: error: \(error)\n".utf8))
        }
    }

    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("tollgate verify: error: \(message)\n".utf8))
        Foundation.exit(ExitStatus.error)
    }
}
