import Foundation

/// What a comparison of two tables found: row counts, rows on one side only, rows whose
/// columns differ, and a few examples of each. The counts of inconsistent rows are the
/// confirmed ones — rows still inconsistent after every re-check — and `firstPass` keeps what
/// the single read of each side found. Pure: the comparison feeds it row digests.
package struct TableComparison: Sendable, Codable, Equatable {
    package var source: String
    package var target: String
    package var sourceRows = 0
    package var targetRows = 0
    package var missingInTarget = 0
    package var missingInSource = 0
    package var differing = 0
    /// Rows the first pass read one by one, both sides together; the others agreed by bucket checksums.
    package var rowsRead = 0
    /// Rows only the target has are expected (the monolith keeps rows of users never routed
    /// to the services): they are counted but not inconsistent.
    package var targetMayHaveMore = false
    /// Keys of a few rows of each kind.
    package var examples = Examples()
    /// What the first read of both sides found, before any re-check.
    package var firstPass = Counts()
    /// Re-check rounds made (0: the first pass found nothing to re-check, or re-checks are off).
    package var recheckRounds = 0
    /// Seconds waited before each re-check.
    package var recheckAfter: Double = 0
    /// More keys mismatched in the first pass than `MismatchedKeys.limit`: only the kept keys were
    /// re-checked, so the confirmed counts are a lower bound ("at least").
    package var atLeast = false

    /// Inconsistent rows by kind.
    package struct Counts: Sendable, Codable, Equatable {
        package var missingInTarget = 0
        package var missingInSource = 0
        package var differing = 0

        package init(missingInTarget: Int = 0, missingInSource: Int = 0, differing: Int = 0) {
            self.missingInTarget = missingInTarget
            self.missingInSource = missingInSource
            self.differing = differing
        }

        enum CodingKeys: String, CodingKey { case missingInTarget = "missing_in_target", missingInSource = "missing_in_source", differing }
    }

    package struct Examples: Sendable, Codable, Equatable {
        package var missingInTarget: [String] = []
        package var missingInSource: [String] = []
        package var differing: [Difference] = []

        enum CodingKeys: String, CodingKey { case missingInTarget = "missing_in_target", missingInSource = "missing_in_source", differing }
    }

    /// One row whose columns differ: its key and each differing column's two values.
    package struct Difference: Sendable, Codable, Equatable {
        package var key: String
        package var columns: [ColumnDifference]

        package init(key: String, columns: [ColumnDifference] = []) {
            self.key = key
            self.columns = columns
        }
    }

    package struct ColumnDifference: Sendable, Codable, Equatable {
        package var column: String
        package var source: String?
        package var target: String?

        package init(column: String, source: String?, target: String?) {
            self.column = column
            self.source = source
            self.target = target
        }
    }

    /// How many examples of each kind are kept.
    package static let exampleLimit = 5

    package init(source: String, target: String) {
        self.source = source
        self.target = target
    }

    /// The confirmed counts by kind.
    package var confirmed: Counts { Counts(missingInTarget: missingInTarget, missingInSource: missingInSource, differing: differing) }

    /// Rows missing on either side or differing (confirmed).
    package var inconsistentRows: Int { inconsistent(confirmed) }

    /// Rows the first pass found inconsistent, before the re-checks.
    package var firstPassInconsistentRows: Int { inconsistent(firstPass) }

    private func inconsistent(_ counts: Counts) -> Int {
        counts.missingInTarget + (targetMayHaveMore ? 0 : counts.missingInSource) + counts.differing
    }

    /// Inconsistent rows over the rows of the larger side (of the source when the target may
    /// have more), in percent.
    package var inconsistencyPercent: Double {
        let base = targetMayHaveMore ? sourceRows : max(sourceRows, targetRows)
        return base == 0 ? 0 : Double(inconsistentRows) / Double(base) * 100
    }

    /// One line: "34 of 70 rows (11 missing in the target, 23 differing); first pass 40, 2 re-checks".
    package var summary: String {
        let base = targetMayHaveMore ? sourceRows : max(sourceRows, targetRows)
        var text = "\(atLeast ? "at least " : "")\(inconsistentRows) of \(base) rows (\(missingInTarget) missing in the target, "
            + (targetMayHaveMore ? "" : "\(missingInSource) missing in the source, ") + "\(differing) differing)"
        if recheckRounds > 0 {
            text += "; first pass \(firstPassInconsistentRows), confirmed after \(recheckRounds) re-check\(recheckRounds == 1 ? "" : "s")"
                + " \(Int(recheckAfter.rounded())) s apart"
        }
        return text
    }

    enum CodingKeys: String, CodingKey {
        case source, target, targetMayHaveMore = "target_may_have_more", sourceRows = "source_rows", targetRows = "target_rows", missingInTarget = "missing_in_target"
        case missingInSource = "missing_in_source", differing, examples, firstPass = "first_pass", recheckRounds = "recheck_rounds"
        case recheckAfter = "recheck_after_s", atLeast = "at_least", rowsRead = "rows_read"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        target = try c.decode(String.self, forKey: .target)
        targetMayHaveMore = try c.decodeIfPresent(Bool.self, forKey: .targetMayHaveMore) ?? false
        sourceRows = try c.decode(Int.self, forKey: .sourceRows)
        targetRows = try c.decode(Int.self, forKey: .targetRows)
        missingInTarget = try c.decode(Int.self, forKey: .missingInTarget)
        missingInSource = try c.decode(Int.self, forKey: .missingInSource)
        differing = try c.decode(Int.self, forKey: .differing)
        examples = try c.decodeIfPresent(Examples.self, forKey: .examples) ?? Examples()
        firstPass = try c.decodeIfPresent(Counts.self, forKey: .firstPass) ?? confirmed
        recheckRounds = try c.decodeIfPresent(Int.self, forKey: .recheckRounds) ?? 0
        recheckAfter = try c.decodeIfPresent(Double.self, forKey: .recheckAfter) ?? 0
        atLeast = try c.decodeIfPresent(Bool.self, forKey: .atLeast) ?? false
        rowsRead = try c.decodeIfPresent(Int.self, forKey: .rowsRead) ?? sourceRows + targetRows
    }
}

/// One row as the comparison sees it: its key and a digest of its compared columns.
package struct RowDigest: Sendable, Equatable {
    package var key: String
    package var digest: String

    package init(key: String, digest: String) {
        self.key = key
        self.digest = digest
    }
}

/// A row found inconsistent, and how.
package struct Mismatch: Sendable, Equatable {
    package enum Kind: Sendable, Equatable { case missingInTarget, missingInSource, differing }
    package var key: String
    package var kind: Kind
    /// Each side's digest of the row as last read (nil: the row was not there): a re-check that
    /// reads both the same again has seen a lasting difference, not a row in flight.
    package var sourceDigest: String?
    package var targetDigest: String?

    package init(key: String, kind: Kind, sourceDigest: String? = nil, targetDigest: String? = nil) {
        self.key = key
        self.kind = kind
        self.sourceDigest = sourceDigest
        self.targetDigest = targetDigest
    }
}

/// How keys order, as both sides sorted them: numeric keys by value, any other key byte by
/// byte (databases sort them with `COLLATE "C"`, exports by their bytes).
package enum KeyOrder: Sendable, Equatable {
    case numeric, bytes

    /// Whether `a` sorts before `b`.
    package func precedes(_ a: String, _ b: String) -> Bool {
        switch self {
        case .bytes: return a.utf8.lexicographicallyPrecedes(b.utf8)
        case .numeric:
            if let x = Int64(a), let y = Int64(b) { return x < y }
            return (Decimal(string: a) ?? 0) < (Decimal(string: b) ?? 0)
        }
    }
}

/// Walks two streams of row digests sorted by key (as the databases sorted them) in step,
/// like a merge join, counting what differs and keeping every mismatched key (up to
/// `mismatchLimit`) for the re-checks. Memory holds one batch per side and the kept keys.
package struct DigestMerge: Sendable {
    package private(set) var result: TableComparison
    /// Every mismatched key in key order, up to `mismatchLimit`.
    package private(set) var mismatches: [Mismatch] = []
    /// More keys mismatched than were kept.
    package private(set) var mismatchesDropped = false
    private let order: KeyOrder
    private let mismatchLimit: Int

    /// The most mismatched keys one comparison keeps for re-checks (about 100 bytes each:
    /// 10 MB at most); past it the confirmed result is a lower bound.
    package static let defaultMismatchLimit = 100_000

    package init(source: String, target: String, order: KeyOrder, mismatchLimit: Int = DigestMerge.defaultMismatchLimit) {
        result = TableComparison(source: source, target: target)
        self.order = order
        self.mismatchLimit = mismatchLimit
    }

    /// Compares what both batches hold until one runs out; returns how many rows of each were
    /// consumed (the rest waits for the other side's next batch). When a side is done, the rest
    /// of the other is missing from it.
    mutating func consume(_ source: ArraySlice<RowDigest>, _ target: ArraySlice<RowDigest>, sourceDone: Bool, targetDone: Bool)
        -> (source: Int, target: Int) {
        var i = source.startIndex, j = target.startIndex
        while true {
            let hasSource = i < source.endIndex, hasTarget = j < target.endIndex
            if hasSource && hasTarget {
                let a = source[i], b = target[j]
                if a.key == b.key {
                    result.sourceRows += 1
                    result.targetRows += 1
                    if a.digest != b.digest { note(a.key, .differing, a.digest, b.digest) }
                    i += 1; j += 1
                } else if order.precedes(a.key, b.key) {
                    result.sourceRows += 1
                    note(a.key, .missingInTarget, a.digest, nil); i += 1
                } else {
                    result.targetRows += 1
                    note(b.key, .missingInSource, nil, b.digest); j += 1
                }
            } else if hasSource && targetDone {
                result.sourceRows += 1
                note(source[i].key, .missingInTarget, source[i].digest, nil); i += 1
            } else if hasTarget && sourceDone {
                result.targetRows += 1
                note(target[j].key, .missingInSource, nil, target[j].digest); j += 1
            } else {
                break
            }
        }
        return (i - source.startIndex, j - target.startIndex)
    }

    /// Merges two sides read batch by batch (`nextSource`/`nextTarget` return the next batch in
    /// key order, empty at the end), holding one batch per side.
    package mutating func run(nextSource: () throws -> [RowDigest], nextTarget: () throws -> [RowDigest]) rethrows {
        var sourceRows: [RowDigest] = [], targetRows: [RowDigest] = []
        var sourceDone = false, targetDone = false
        while true {
            if sourceRows.isEmpty && !sourceDone {
                sourceRows = try nextSource()
                sourceDone = sourceRows.isEmpty
                result.rowsRead += sourceRows.count
            }
            if targetRows.isEmpty && !targetDone {
                targetRows = try nextTarget()
                targetDone = targetRows.isEmpty
                result.rowsRead += targetRows.count
            }
            if sourceDone && targetDone && sourceRows.isEmpty && targetRows.isEmpty { return }
            let used = consume(sourceRows[...], targetRows[...], sourceDone: sourceDone, targetDone: targetDone)
            sourceRows.removeFirst(used.source)
            targetRows.removeFirst(used.target)
        }
    }

    /// Counts `rows` rows found alike on both sides without reading them one by one (a bucket
    /// whose checksums agree).
    mutating func countAlike(rows: Int) {
        result.sourceRows += rows
        result.targetRows += rows
    }

    /// Adds what `later` found — a merge of keys that all sort after this one's — keeping the
    /// mismatched keys in key order, up to the limit.
    mutating func append(_ later: DigestMerge) {
        result.sourceRows += later.result.sourceRows
        result.targetRows += later.result.targetRows
        result.missingInTarget += later.result.missingInTarget
        result.missingInSource += later.result.missingInSource
        result.differing += later.result.differing
        result.rowsRead += later.result.rowsRead
        let room = max(0, mismatchLimit - mismatches.count)
        mismatches += later.mismatches.prefix(room)
        mismatchesDropped = mismatchesDropped || later.mismatchesDropped || later.mismatches.count > room
    }

    private mutating func note(_ key: String, _ kind: Mismatch.Kind, _ sourceDigest: String?, _ targetDigest: String?) {
        switch kind {
        case .missingInTarget: result.missingInTarget += 1
        case .missingInSource: result.missingInSource += 1
        case .differing: result.differing += 1
        }
        if mismatches.count < mismatchLimit {
            mismatches.append(Mismatch(key: key, kind: kind, sourceDigest: sourceDigest, targetDigest: targetDigest))
        } else {
            mismatchesDropped = true
        }
    }
}
