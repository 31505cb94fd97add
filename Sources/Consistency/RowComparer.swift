import Foundation

/// One side of a comparison as the comparer reads it: batches of row digests in key order,
/// then, for the re-checks, the digests of given keys as they are now.
protocol ComparedSide: AnyObject {
    /// Where the rows come from, for messages (credentials removed).
    var description: String { get }
    /// The next batch in key order; empty at the end.
    func nextBatch() throws -> [RowDigest]
    /// The rows with these keys that exist now (any order); at most `keysPerLookup` keys.
    func digests(keys: [String]) throws -> [RowDigest]
    /// The most keys one `digests(keys:)` call takes.
    var keysPerLookup: Int { get }
    /// The compared columns' values of one row, nil when it does not exist.
    func values(key: String) throws -> [String?]?
}

/// When rows found inconsistent are read again (as AWS DMS re-validates failed rows): live
/// traffic writes one side before the other, so a row in flight differs for a moment. Only rows
/// still inconsistent at the last re-check count.
package struct RecheckPolicy: Sendable, Equatable {
    /// Seconds between the first pass (or the previous re-check) and a re-check.
    package var after: Double
    /// At most this many re-checks; they stop early when no row is left.
    package var rounds: Int

    package init(after: Double = 5, rounds: Int = 3) {
        self.after = after
        self.rounds = rounds
    }

    /// No re-checks: the first pass is the result.
    package static let none = RecheckPolicy(after: 0, rounds: 0)
    /// The longest wait and the most rounds a file or flag may ask for.
    package static let maximumAfter = 3_600.0, maximumRounds = 100
}

/// Compares two sides: a merge of both in key order (the first pass), then re-checks of the
/// mismatched keys only, and examples of what is still inconsistent.
enum RowComparer {
    /// - Parameters:
    ///   - columns: the compared columns' names as reports show them (source→target where renamed).
    ///   - shouldStop: asked between batches and while waiting; true ends the comparison with an error (Ctrl-C in a gate).
    ///   - sleep: waits the given seconds between passes (tests pass their own).
    static func compare(source: some ComparedSide, target: some ComparedSide, order: KeyOrder, columns: [String], targetMayHaveMore: Bool,
                        policy: RecheckPolicy, mismatchLimit: Int = DigestMerge.defaultMismatchLimit, shouldStop: () -> Bool = { false },
                        sleep: ((Double) -> Void)? = nil) throws -> TableComparison {
        func checkStop() throws { if shouldStop() { throw ConsistencyError("the comparison was stopped") } }
        var merge = DigestMerge(source: source.description, target: target.description, order: order, mismatchLimit: mismatchLimit)
        try merge.run(nextSource: { try checkStop(); return try source.nextBatch() }, nextTarget: { try checkStop(); return try target.nextBatch() })
        return try confirm(merge, source: source, target: target, columns: columns, targetMayHaveMore: targetMayHaveMore, policy: policy,
                           shouldStop: shouldStop, sleep: sleep)
    }

    /// Re-checks what a first pass (`merge`) found and takes examples: the result of the comparison.
    static func confirm(_ merge: DigestMerge, source: some ComparedSide, target: some ComparedSide, columns: [String], targetMayHaveMore: Bool,
                        policy: RecheckPolicy, shouldStop: () -> Bool, sleep: ((Double) -> Void)? = nil) throws -> TableComparison {
        func checkStop() throws { if shouldStop() { throw ConsistencyError("the comparison was stopped") } }
        func wait(_ seconds: Double) {
            if let sleep { return sleep(seconds) }
            // In short slices, so a stop is honoured within a tenth of a second.
            let end = Date().addingTimeInterval(seconds)
            while !shouldStop(), Date() < end { Thread.sleep(forTimeInterval: min(0.1, max(0, end.timeIntervalSinceNow))) }
        }
        var result = merge.result
        result.targetMayHaveMore = targetMayHaveMore
        result.firstPass = result.confirmed
        // Rows only the target has are expected when it may have more: nothing to confirm.
        // A difference whose two sides read the same as at the previous read is settled (a row in
        // flight changes between reads): confirmed, and not read again; the others are.
        var rows = merge.mismatches.filter { !(targetMayHaveMore && $0.kind == .missingInSource) }.map { (mismatch: $0, settled: false) }
        var rounds = 0
        while rounds < policy.rounds, rows.contains(where: { !$0.settled }) {
            wait(policy.after)
            try checkStop()
            rounds += 1
            let reread = try recheck(rows.filter { !$0.settled }.map(\.mismatch), source: source, target: target, targetMayHaveMore: targetMayHaveMore)
            let byKey = Dictionary(reread.map { ($0.mismatch.key, $0) }, uniquingKeysWith: { a, _ in a })
            rows = rows.compactMap { row in row.settled ? row : byKey[row.mismatch.key] }
        }
        let pending = rows.map(\.mismatch)
        if rounds > 0 {
            result.recheckRounds = rounds
            result.recheckAfter = policy.after
            result.atLeast = merge.mismatchesDropped
            result.missingInTarget = pending.count { $0.kind == .missingInTarget }
            result.differing = pending.count { $0.kind == .differing }
            if !targetMayHaveMore { result.missingInSource = pending.count { $0.kind == .missingInSource } }
        }
        result.examples = try examples(of: rounds > 0 ? pending : merge.mismatches, source: source, target: target, columns: columns)
        return result
    }

    /// Reads the pending keys on both sides again; returns those still inconsistent, in the same
    /// order, each with its sides as read now and whether they read as before (settled).
    static func recheck(_ pending: [Mismatch], source: some ComparedSide, target: some ComparedSide,
                        targetMayHaveMore: Bool) throws -> [(mismatch: Mismatch, settled: Bool)] {
        var still: [(mismatch: Mismatch, settled: Bool)] = []
        let size = max(1, min(source.keysPerLookup, target.keysPerLookup))
        var start = 0
        while start < pending.count {
            let chunk = pending[start..<min(pending.count, start + size)]
            start += size
            let keys = chunk.map(\.key)
            let before = Dictionary(try source.digests(keys: keys).map { ($0.key, $0.digest) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(try target.digests(keys: keys).map { ($0.key, $0.digest) }, uniquingKeysWith: { a, _ in a })
            for previous in chunk {
                let key = previous.key
                let (a, b) = (before[key], after[key])
                let kind: Mismatch.Kind
                switch (a, b) {
                case (nil, nil): continue  // deleted on both sides meanwhile
                case (.some, nil): kind = .missingInTarget
                case (nil, .some):
                    if targetMayHaveMore { continue }
                    kind = .missingInSource
                case (.some(let x), .some(let y)):
                    if x == y { continue }
                    kind = .differing
                }
                let settled = a == previous.sourceDigest && b == previous.targetDigest
                still.append((Mismatch(key: key, kind: kind, sourceDigest: a, targetDigest: b), settled))
            }
        }
        return still
    }

    /// The first few keys of each kind; differing rows with each differing column's two values.
    static func examples(of mismatches: [Mismatch], source: some ComparedSide, target: some ComparedSide, columns: [String]) throws -> TableComparison.Examples {
        var examples = TableComparison.Examples()
        let limit = TableComparison.exampleLimit
        examples.missingInTarget = Array(mismatches.lazy.filter { $0.kind == .missingInTarget }.map(\.key).prefix(limit))
        examples.missingInSource = Array(mismatches.lazy.filter { $0.kind == .missingInSource }.map(\.key).prefix(limit))
        for mismatch in mismatches.lazy.filter({ $0.kind == .differing }).prefix(limit) {
            let before = try source.values(key: mismatch.key) ?? [], after = try target.values(key: mismatch.key) ?? []
            let differences = columns.indices.compactMap { i -> TableComparison.ColumnDifference? in
                let a = i < before.count ? before[i] : nil, b = i < after.count ? after[i] : nil
                return a == b ? nil : TableComparison.ColumnDifference(column: columns[i], source: a, target: b)
            }
            examples.differing.append(TableComparison.Difference(key: mismatch.key, columns: differences))
        }
        return examples
    }
}

/// An unambiguous text for a row's values read from an export: each value is `N` (NULL) or
/// `V<length>:<value>`, so no two different rows encode alike (no separator a value could
/// contain, NULL distinct from every text). Databases digest a record's text instead, which is
/// as unambiguous; the two are never compared with each other.
enum RowEncoding {
    static func encode(_ values: [String?]) -> String {
        var out = ""
        for value in values {
            if let value { out += "V\(value.unicodeScalars.count):" + value } else { out += "N" }
        }
        return out
    }
}
