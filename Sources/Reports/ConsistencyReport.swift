import Consistency
import Foundation
import LoadEngine
import Steps

/// The result of consistency checks: each comparison with its inconsistency rate against the
/// threshold. Schema `tollgate.consistency/v1`.
public struct ConsistencyReport: Sendable, Encodable {
    public var comparisons: [TableComparison]
    /// Percent.
    public var threshold: Double
    public var seconds: Double

    public init(comparisons: [TableComparison], threshold: Double, seconds: Double) {
        self.comparisons = comparisons
        self.threshold = threshold
        self.seconds = seconds
    }

    public var passed: Bool { comparisons.allSatisfy { $0.inconsistencyPercent <= threshold } }

    private struct Entry: Encodable {
        let comparison: TableComparison
        let inconsistencyPercent: Double
        let passed: Bool

        func encode(to encoder: any Encoder) throws {
            try comparison.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(comparison.inconsistentRows, forKey: .inconsistent)
            try c.encode(inconsistencyPercent, forKey: .percent)
            try c.encode(passed, forKey: .passed)
        }

        enum Keys: String, CodingKey { case inconsistent = "inconsistent_rows", percent = "inconsistency_percent", passed }
    }

    private enum Keys: String, CodingKey { case schemaVersion = "schema_version", thresholdPercent = "threshold_percent", seconds, passed, comparisons }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode("tollgate.consistency/v1", forKey: .schemaVersion)
        try c.encode(threshold, forKey: .thresholdPercent)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(passed, forKey: .passed)
        try c.encode(comparisons.map { Entry(comparison: $0, inconsistencyPercent: $0.inconsistencyPercent, passed: $0.inconsistencyPercent <= threshold) },
                     forKey: .comparisons)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// What the command prints.
    public func text() -> String {
        var lines: [String] = []
        for c in comparisons {
            let ok = c.inconsistencyPercent <= threshold
            lines.append("\(ok ? "✓" : "✗") \(c.source) → \(c.target): \(c.sourceRows) vs \(c.targetRows) rows, \(c.atLeast ? "at least " : "")"
                         + String(format: "%.4f %% inconsistent (threshold %.4f %%)", c.inconsistencyPercent, threshold))
            if c.recheckRounds > 0 {
                lines.append("    first pass        \(c.firstPassInconsistentRows) inconsistent; \(c.recheckRounds) re-check(s) \(DurationText.describe(c.recheckAfter)) apart confirmed \(c.inconsistentRows)"
                             + (c.atLeast ? " (more keys mismatched than are kept: at least)" : ""))
            }
            lines.append("    missing in target \(c.missingInTarget)\(c.examples.missingInTarget.isEmpty ? "" : " (e.g. \(c.examples.missingInTarget.joined(separator: ", ")))")")
            lines.append("    missing in source \(c.missingInSource)\(c.examples.missingInSource.isEmpty ? "" : " (e.g. \(c.examples.missingInSource.joined(separator: ", ")))")")
            lines.append("    differing         \(c.differing)")
            if c.rowsRead < c.sourceRows + c.targetRows {
                lines.append("    read row by row   \(c.rowsRead) of \(c.sourceRows + c.targetRows) (the rest agreed by bucket checksums)")
            }
            for difference in c.examples.differing {
                let detail = difference.columns.map { "\($0.column): \($0.source ?? "NULL") ≠ \($0.target ?? "NULL")" }.joined(separator: "; ")
                lines.append("      key \(difference.key): \(detail.isEmpty ? "values differ" : detail)")
            }
        }
        lines.append(String(format: "  %.2f s", seconds))
        return lines.joined(separator: "\n")
    }
}

