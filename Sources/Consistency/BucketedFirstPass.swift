import Foundation
import Synchronization
import TransportPostgres

/// The first pass of a database comparison, by key buckets. Each side's database counts and
/// hashes the rows of every bucket of a few thousand keys (`count(*)` and the sum of 64-bit row
/// hashes, one statement per run of buckets): buckets that agree are counted without a row
/// leaving the database, and only buckets that differ are read row by row (key, digest) and
/// merged. A bucket that turns out far larger than planned is cut by its own keys and its parts
/// compared the same way, down to rows. Runs of buckets are compared by `parallel` workers, each
/// with a connection per side whose statements run at once. Blocking (libpq): call it off the
/// cooperative pool.
struct BucketedFirstPass: Sendable {
    let source: TableShape
    let target: TableShape
    /// Rows per read of a differing bucket.
    let batch: Int
    let parallel: Int
    /// Rows a bucket is planned to hold; nil: by the table's size.
    let bucketRows: Int?
    let mismatchLimit: Int
    let shouldStop: @Sendable () -> Bool

    /// What a bucket of the plan covers, and the runs of buckets one statement compares.
    struct Plan {
        /// Rows per bucket.
        let bucketRows: Int
        /// Keys between buckets, in boundary order: `boundaries.count + 1` buckets.
        let boundaries: [String]
    }

    /// Plans the buckets from a sample of the larger side's keys, then compares them.
    /// `sourceReader` and `targetReader` are the comparison's own connections (the plan is read on them).
    func run(sourceReader: TableReader, targetReader: TableReader) throws -> DigestMerge {
        let plan = try plan(sourceReader: sourceReader, targetReader: targetReader)
        let indexed = source.rangesReadAnIndex && target.rangesReadAnIndex
        // Where a range is a scan of the whole table, one statement covers every bucket.
        let runs = indexed ? Self.runs(buckets: plan.boundaries.count + 1, count: max(8, parallel * 4)) : [0..<(plan.boundaries.count + 1)]
        let combined = OrderedResults(count: runs.count,
                                      first: DigestMerge(source: source.description, target: target.description, order: source.keyOrder, mismatchLimit: mismatchLimit))
        let failed = Failure()
        let density = Density()
        let stop: @Sendable () -> Bool = { [shouldStop] in failed.happened || shouldStop() }
        let workers = min(parallel, runs.count)
        let work: @Sendable (TableReader, TableReader) -> Void = { [self] sourceSide, targetSide in
            do {
                // The workers are the parallelism: a statement's own parallel workers would only compete with them.
                for side in [sourceSide, targetSide] { try side.connection.execute("SET max_parallel_workers_per_gather = 0") }
                while let index = combined.take(), !stop() {
                    let merge = try compare(buckets: runs[index], of: plan, sides: (sourceSide, targetSide), indexed: indexed, density: density, stop: stop)
                    combined.finish(index, merge)
                }
            } catch {
                failed.record(error)
            }
        }
        // The calling thread is the first worker, on the comparison's own connections; the others open theirs.
        let group = DispatchGroup()
        for _ in 1..<max(1, workers) {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                do { try work(TableReader(shape: source, batch: batch), TableReader(shape: target, batch: batch)) } catch { failed.record(error) }
            }
        }
        work(sourceReader, targetReader)
        group.wait()
        if let error = failed.error { throw error }
        if shouldStop() { throw ConsistencyError("the comparison was stopped") }
        return combined.result
    }

    /// The buckets: about `bucketRows` rows each, cut at keys sampled from the side with more
    /// rows (`TABLESAMPLE BERNOULLI`, eight keys per bucket). A sample that misses does no harm:
    /// a bucket larger than planned is cut again when it differs.
    func plan(sourceReader: TableReader, targetReader: TableReader) throws -> Plan {
        let sizes = (try sourceReader.estimatedRows(), try targetReader.estimatedRows())
        let rows = max(sizes.0, sizes.1)
        let perBucket = bucketRows ?? Int(min(max(rows / 4_096, 1_000), 50_000))
        guard rows > Double(perBucket) else { return Plan(bucketRows: perBucket, boundaries: []) }
        let buckets = min(rows / Double(perBucket), 1_000_000)
        let percent = min(100, max(0.000_1, 100 * buckets * 8 / rows))
        let sample = try (sizes.0 >= sizes.1 ? sourceReader : targetReader).sample(percent: percent)
        let step = max(1, Int(Double(sample.count) / buckets))
        let boundaries = stride(from: step, to: sample.count, by: step).map { sample[$0] }
        return Plan(bucketRows: perBucket, boundaries: boundaries)
    }

    /// `buckets` split into about `count` runs of neighbours.
    static func runs(buckets: Int, count: Int) -> [Range<Int>] {
        let runs = max(1, min(buckets, count))
        return (0..<runs).map { i in (buckets * i / runs)..<(buckets * (i + 1) / runs) }
    }

    /// The key range of bucket `i` of the `boundaries.count + 1` buckets `boundaries` cut `range` into.
    static func range(ofBucket i: Int, _ boundaries: [String], within range: KeyRange = .all) -> KeyRange {
        KeyRange(lower: i == 0 ? range.lower : boundaries[i - 1], upper: i == boundaries.count ? range.upper : boundaries[i])
    }

    /// Compares a run of the plan's buckets: one checksum statement per side, then the buckets
    /// that differ. Where most buckets differ (in this run, or in the runs so far), the run is
    /// read row by row at once: checksums would only add a pass.
    private func compare(buckets run: Range<Int>, of plan: Plan, sides: (TableReader, TableReader), indexed: Bool, density: Density,
                         stop: @escaping @Sendable () -> Bool) throws -> DigestMerge {
        let range = KeyRange(lower: Self.range(ofBucket: run.lowerBound, plan.boundaries).lower,
                             upper: Self.range(ofBucket: run.upperBound - 1, plan.boundaries).upper)
        // Inside the run, bucket j starts at the run's j-th inner boundary.
        let inner = Array(plan.boundaries[run.lowerBound..<(run.upperBound - 1)])
        var merge = DigestMerge(source: source.description, target: target.description, order: source.keyOrder, mismatchLimit: mismatchLimit)
        if density.isDense {
            try read(range, sides: sides, into: &merge, stop: stop)
            return merge
        }
        let differing = try differingBuckets(in: range, boundaries: inner, sides: sides, merge: &merge)
        density.record(buckets: inner.count + 1, differing: differing.count)
        // Without an index every range is a scan of the table: one ordered read of the run beats a scan per bucket.
        if Density.isDense(buckets: inner.count + 1, differing: differing.count) || (!indexed && differing.count > 4) {
            merge = DigestMerge(source: source.description, target: target.description, order: source.keyOrder, mismatchLimit: mismatchLimit)
            try read(range, sides: sides, into: &merge, stop: stop)
            return merge
        }
        for bucket in differing {
            try settle(bucket.range, rows: bucket.rows, bucketRows: plan.bucketRows, depth: 0, sides: sides, into: &merge, stop: stop)
        }
        return merge
    }

    /// A bucket that differs, and how many rows each side has in it.
    struct DifferingBucket {
        let range: KeyRange
        let rows: (source: Int, target: Int)
    }

    /// Checksums the buckets `boundaries` cut `range` into on both sides; counts those that agree
    /// into `merge` and returns the others in key order.
    private func differingBuckets(in range: KeyRange, boundaries: [String], sides: (TableReader, TableReader),
                                  merge: inout DigestMerge) throws -> [DifferingBucket] {
        // Both databases work at once.
        try sides.0.sendBuckets(in: range, boundaries: boundaries)
        try sides.1.sendBuckets(in: range, boundaries: boundaries)
        let sourceSums = try sides.0.receiveBuckets(), targetSums = try sides.1.receiveBuckets()
        var differing: [DifferingBucket] = []
        for j in 0...boundaries.count {
            let a = sourceSums[j], b = targetSums[j]
            if a == b {
                merge.countAlike(rows: a?.rows ?? 0)
            } else {
                differing.append(DifferingBucket(range: Self.range(ofBucket: j, boundaries, within: range), rows: (a?.rows ?? 0, b?.rows ?? 0)))
            }
        }
        return differing
    }

    /// Finds what differs in a bucket: read row by row when it is small (or cut as far as it
    /// goes); else cut into parts of `bucketRows` rows of its larger side, and each part that
    /// differs settled the same way — unless most parts differ (dense differences: cutting
    /// further costs more than reading them).
    private func settle(_ range: KeyRange, rows: (source: Int, target: Int), bucketRows: Int, depth: Int, sides: (TableReader, TableReader),
                        into merge: inout DigestMerge, stop: @escaping @Sendable () -> Bool) throws {
        guard max(rows.source, rows.target) > 4 * bucketRows, depth < 4, !stop() else {
            return try read(range, sides: sides, into: &merge, stop: stop)
        }
        let cuts = try (rows.source >= rows.target ? sides.0 : sides.1).cuts(in: range, step: bucketRows)
        guard !cuts.isEmpty else { return try read(range, sides: sides, into: &merge, stop: stop) }
        let parts = try differingBuckets(in: range, boundaries: cuts, sides: sides, merge: &merge)
        let dense = parts.count * 2 > cuts.count + 1
        for part in parts {
            if dense { try read(part.range, sides: sides, into: &merge, stop: stop) } else {
                try settle(part.range, rows: part.rows, bucketRows: bucketRows, depth: depth + 1, sides: sides, into: &merge, stop: stop)
            }
        }
    }

    /// Reads `range` on both sides row by row, in key order, and merges it into `merge`.
    private func read(_ range: KeyRange, sides: (TableReader, TableReader), into merge: inout DigestMerge, stop: @escaping @Sendable () -> Bool) throws {
        func checkStop() throws { if stop() { throw ConsistencyError("the comparison was stopped") } }
        try sides.0.reset(to: range)
        try sides.1.reset(to: range)
        try merge.run(nextSource: { try checkStop(); return try sides.0.nextBatch() }, nextTarget: { try checkStop(); return try sides.1.nextBatch() })
    }
}

/// Runs of buckets handed out in key order, and their merges appended in key order as they
/// finish: at most the runs finished ahead of a slower earlier one wait in memory.
private final class OrderedResults: Sendable {
    private struct State {
        var next = 0
        var appended = 0
        var waiting: [Int: DigestMerge] = [:]
        var combined: DigestMerge
    }
    private let count: Int
    private let state: Mutex<State>

    init(count: Int, first: DigestMerge) {
        self.count = count
        state = Mutex(State(combined: first))
    }

    /// The next run to compare, nil when none is left.
    func take() -> Int? {
        state.withLock { state in
            guard state.next < count else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func finish(_ index: Int, _ merge: DigestMerge) {
        state.withLock { state in
            state.waiting[index] = merge
            while let ready = state.waiting.removeValue(forKey: state.appended) {
                state.combined.append(ready)
                state.appended += 1
            }
        }
    }

    var result: DigestMerge { state.withLock { $0.combined } }
}

/// How many of the buckets checksummed so far differ: once most of at least 64 do, the
/// remaining runs are read row by row without checksums.
private final class Density: Sendable {
    private let counts = Mutex((buckets: 0, differing: 0))

    /// More than three in four buckets differ.
    static func isDense(buckets: Int, differing: Int) -> Bool { differing * 4 > buckets * 3 }

    func record(buckets: Int, differing: Int) {
        counts.withLock {
            $0.buckets += buckets
            $0.differing += differing
        }
    }

    var isDense: Bool { counts.withLock { $0.buckets >= 64 && Self.isDense(buckets: $0.buckets, differing: $0.differing) } }
}

/// The first error any worker met; the others stop at their next step.
private final class Failure: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) { stored.withLock { if $0 == nil { $0 = error } } }
    var error: (any Error)? { stored.withLock { $0 } }
    var happened: Bool { error != nil }
}
