import Foundation

/// What a comparison of two tables found: row counts, rows on one side only, rows whose
/// columns differ, and a few examples of each. Pure: the comparison feeds it row digests.
public struct TableComparison: Sendable, Codable, Equatable {
    public var source: String
    public var target: String
    public var sourceRows = 0
    public var targetRows = 0
    public var missingInTarget = 0
    public var missingInSource = 0
    public var differing = 0
    /// Rows only the target has are expected (the monolith keeps rows of users never routed
    /// to the services): they are counted but not inconsistent.
    public var targetMayHaveMore = false
    /// Keys of a few rows of each kind.
    public var examples = Examples()

    public struct Examples: Sendable, Codable, Equatable {
        public var missingInTarget: [String] = []
        public var missingInSource: [String] = []
        public var differing: [Difference] = []

        enum CodingKeys: String, CodingKey { case missingInTarget = "missing_in_target", missingInSource = "missing_in_source", differing }
    }

    /// One row whose columns differ: its key and each differing column's two values.
    public struct Difference: Sendable, Codable, Equatable {
        public var key: String
        public var columns: [ColumnDifference]

        public init(key: String, columns: [ColumnDifference] = []) {
            self.key = key
            self.columns = columns
        }
    }

    public struct ColumnDifference: Sendable, Codable, Equatable {
        public var column: String
        public var source: String?
        public var target: String?

        public init(column: String, source: String?, target: String?) {
            self.column = column
            self.source = source
            self.target = target
        }
    }

    /// How many examples of each kind are kept.
    public static let exampleLimit = 5

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }

    /// Rows missing on either side or differing.
    public var inconsistentRows: Int { missingInTarget + (targetMayHaveMore ? 0 : missingInSource) + differing }

    /// Inconsistent rows over the rows of the larger side (of the source when the target may
    /// have more), in percent.
    public var inconsistencyPercent: Double {
        let base = targetMayHaveMore ? sourceRows : max(sourceRows, targetRows)
        return base == 0 ? 0 : Double(inconsistentRows) / Double(base) * 100
    }

    enum CodingKeys: String, CodingKey {
        case source, target, targetMayHaveMore = "target_may_have_more", sourceRows = "source_rows", targetRows = "target_rows", missingInTarget = "missing_in_target"
        case missingInSource = "missing_in_source", differing, examples
    }
}

/// One row as the comparison sees it: its key and a digest of its compared columns.
public struct RowDigest: Sendable, Equatable {
    public var key: String
    public var digest: String

    public init(key: String, digest: String) {
        self.key = key
        self.digest = digest
    }
}

/// Walks two streams of row digests sorted by key (as the databases sorted them) in step,
/// like a merge join, counting what differs. Memory holds one batch per side, whatever the size
/// of the tables.
public struct DigestMerge: Sendable {
    public private(set) var result: TableComparison
    /// The two digests of each differing example row, by key.
    public private(set) var exampleDigests: [String: (source: String, target: String)] = [:]
    /// Keys compare as numbers (numeric key columns) or byte by byte (the databases sort text keys with `COLLATE "C"`).
    private let numericKeys: Bool

    public init(source: String, target: String, numericKeys: Bool) {
        result = TableComparison(source: source, target: target)
        self.numericKeys = numericKeys
    }

    /// Whether `a` sorts before `b` as the databases sorted them.
    func precedes(_ a: String, _ b: String) -> Bool {
        numericKeys ? Self.numericallyPrecedes(a, b) : a.utf8.lexicographicallyPrecedes(b.utf8)
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
                    if a.digest != b.digest {
                        result.differing += 1
                        if result.examples.differing.count < TableComparison.exampleLimit {
                            result.examples.differing.append(.init(key: a.key))
                            exampleDigests[a.key] = (a.digest, b.digest)
                        }
                    }
                    i += 1; j += 1
                } else if precedes(a.key, b.key) {
                    missingInTarget(a.key); i += 1
                } else {
                    missingInSource(b.key); j += 1
                }
            } else if hasSource && targetDone {
                missingInTarget(source[i].key); i += 1
            } else if hasTarget && sourceDone {
                missingInSource(target[j].key); j += 1
            } else {
                break
            }
        }
        return (i - source.startIndex, j - target.startIndex)
    }

    /// Merges two sides read batch by batch (`nextSource`/`nextTarget` return the next batch in
    /// key order, empty at the end), holding one batch per side.
    public mutating func run(nextSource: () throws -> [RowDigest], nextTarget: () throws -> [RowDigest]) rethrows {
        var sourceRows: [RowDigest] = [], targetRows: [RowDigest] = []
        var sourceDone = false, targetDone = false
        while true {
            if sourceRows.isEmpty && !sourceDone {
                sourceRows = try nextSource()
                sourceDone = sourceRows.isEmpty
            }
            if targetRows.isEmpty && !targetDone {
                targetRows = try nextTarget()
                targetDone = targetRows.isEmpty
            }
            if sourceDone && targetDone && sourceRows.isEmpty && targetRows.isEmpty { return }
            let used = consume(sourceRows[...], targetRows[...], sourceDone: sourceDone, targetDone: targetDone)
            sourceRows.removeFirst(used.source)
            targetRows.removeFirst(used.target)
        }
    }

    /// Whole numbers compare as integers; anything else as decimals.
    static func numericallyPrecedes(_ a: String, _ b: String) -> Bool {
        if let x = Int64(a), let y = Int64(b) { return x < y }
        return (Decimal(string: a) ?? 0) < (Decimal(string: b) ?? 0)
    }

    private mutating func missingInTarget(_ key: String) {
        result.sourceRows += 1
        result.missingInTarget += 1
        if result.examples.missingInTarget.count < TableComparison.exampleLimit { result.examples.missingInTarget.append(key) }
    }

    private mutating func missingInSource(_ key: String) {
        result.targetRows += 1
        result.missingInSource += 1
        if result.examples.missingInSource.count < TableComparison.exampleLimit { result.examples.missingInSource.append(key) }
    }
}
