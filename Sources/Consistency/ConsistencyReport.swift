package import Foundation

/// The result of consistency checks: each comparison with its inconsistency rate against the
/// threshold. Schema `tollgate.consistency/v1`.
package struct ConsistencyReport: Sendable, Encodable {
    package var comparisons: [TableComparison]
    /// Percent.
    package var threshold: Double
    package var seconds: Double

    package init(comparisons: [TableComparison], threshold: Double, seconds: Double) {
        self.comparisons = comparisons
        self.threshold = threshold
        self.seconds = seconds
    }

    package var passed: Bool { comparisons.allSatisfy { $0.inconsistencyPercent <= threshold } }

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

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode("tollgate.consistency/v1", forKey: .schemaVersion)
        try c.encode(threshold, forKey: .thresholdPercent)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(passed, forKey: .passed)
        try c.encode(comparisons.map { Entry(comparison: $0, inconsistencyPercent: $0.inconsistencyPercent, passed: $0.inconsistencyPercent <= threshold) },
                     forKey: .comparisons)
    }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
