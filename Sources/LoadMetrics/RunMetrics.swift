/// Everything a load run measured, in a form that merges exactly with another shard's.
package struct RunMetrics: Sendable, Equatable, Codable {
    package var total = RequestStats()
    /// By step name.
    package var byName: [String: RequestStats] = [:]
    /// By tag.
    package var byTag: [String: RequestStats] = [:]
    package var errors: [ErrorClass: ErrorTally] = [:]
    /// By check description.
    package var checks: [String: CheckTally] = [:]
    package var iterations = 0
    /// Open-model iterations that could not start because every allowed user was busy.
    package var droppedIterations = 0
    /// Requests still in flight when the run ended (after the graceful stop): counted as
    /// timeouts, never dropped.
    package var unfinished = 0
    /// How late the open-model scheduler started iterations (microseconds).
    package var schedulerLateness = LatencyHistogram()
    package var timeSeries = TimeSeries()
    /// Under a canary split: the requests each path served (requests no path could be told for
    /// count in the figures above only).
    package var byPath: [TrafficPath: PathMetrics] = [:]

    package init() {}

    /// The most request names (and, apart, tags) kept apart: each costs two latency histograms
    /// (about 400 KB), so a profile or a result with thousands of names would cost gigabytes.
    /// Requests of further names count under `otherGroup`.
    package static let maximumGroups = 100
    /// Where the requests of names (or tags) past `maximumGroups` are counted.
    package static let otherGroup = "(other)"

    /// The group `name` counts under in `groups`: itself, or `otherGroup` once the groups are full.
    package static func group(_ name: String, in groups: [String: RequestStats]) -> String {
        // The count first: a lookup (hashing the name) only once the groups are full.
        groups.count < maximumGroups || groups[name] != nil ? name : otherGroup
    }

    /// Adds another shard's (or another event loop's) figures.
    package mutating func merge(_ other: RunMetrics) {
        total.add(other.total)
        for (name, stats) in other.byName { byName[Self.group(name, in: byName), default: RequestStats()].add(stats) }
        for (tag, stats) in other.byTag { byTag[Self.group(tag, in: byTag), default: RequestStats()].add(stats) }
        for (kind, tally) in other.errors { errors[kind, default: ErrorTally()].add(tally) }
        for (check, tally) in other.checks { checks[check, default: CheckTally()].add(tally) }
        iterations += other.iterations
        droppedIterations += other.droppedIterations
        unfinished += other.unfinished
        schedulerLateness.add(other.schedulerLateness)
        timeSeries.merge(other.timeSeries)
        for (path, figures) in other.byPath { byPath[path, default: PathMetrics()].merge(figures) }
    }

    /// Passed checks over all checks, 0–1 (1 when there were none).
    package var checkPassRate: Double {
        let passed = checks.values.reduce(0) { $0 + $1.passed }
        let all = passed + checks.values.reduce(0) { $0 + $1.failed }
        return all == 0 ? 1 : Double(passed) / Double(all)
    }

    enum CodingKeys: String, CodingKey {
        case total, byName = "by_name", byTag = "by_tag", errors, checks, iterations, droppedIterations = "dropped_iterations", unfinished
        case schedulerLateness = "scheduler_lateness_histogram", timeSeries = "time_series", byPath = "by_path"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        total = try c.decode(RequestStats.self, forKey: .total)
        byName = try Self.groups(c, .byName)
        byTag = try Self.groups(c, .byTag)
        errors = try c.decode([ErrorClass: ErrorTally].self, forKey: .errors)
        checks = try c.decode([String: CheckTally].self, forKey: .checks)
        iterations = try DecodedFigures.count(c, .iterations)
        droppedIterations = try DecodedFigures.count(c, .droppedIterations)
        unfinished = try DecodedFigures.check(c.decodeIfPresent(Int.self, forKey: .unfinished) ?? 0, c, .unfinished)
        for tally in errors.values { _ = try DecodedFigures.check(tally.count, c, .errors) }
        // Reports add every check's tallies together.
        try DecodedFigures.total(checks.values.flatMap { [$0.passed, $0.failed] }, c, .checks, what: "checks' passes and failures")
        schedulerLateness = try c.decode(LatencyHistogram.self, forKey: .schedulerLateness)
        timeSeries = try c.decode(TimeSeries.self, forKey: .timeSeries)
        byPath = try c.decodeIfPresent([TrafficPath: PathMetrics].self, forKey: .byPath) ?? [:]
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(total, forKey: .total)
        try c.encode(byName, forKey: .byName)
        try c.encode(byTag, forKey: .byTag)
        try c.encode(errors, forKey: .errors)
        try c.encode(checks, forKey: .checks)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(droppedIterations, forKey: .droppedIterations)
        try c.encode(unfinished, forKey: .unfinished)
        try c.encode(schedulerLateness, forKey: .schedulerLateness)
        try c.encode(timeSeries, forKey: .timeSeries)
        if !byPath.isEmpty { try c.encode(byPath, forKey: .byPath) }
    }

    struct GroupKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Request groups by name or tag, counted before any is decoded: too many is an error, not gigabytes.
    static func groups<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> [String: RequestStats] {
        let nested = try c.nestedContainer(keyedBy: GroupKey.self, forKey: key)
        guard nested.allKeys.count <= maximumGroups + 1 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.stringValue) has \(nested.allKeys.count) groups; at most \(maximumGroups + 1)")
        }
        var groups: [String: RequestStats] = [:]
        for group in nested.allKeys { groups[group.stringValue] = try nested.decode(RequestStats.self, forKey: group) }
        return groups
    }
}
