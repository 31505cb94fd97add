import Consistency
import Foundation
import Steps

extension ConsistencyReport {
    /// What the command prints.
    package func text() -> String {
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

