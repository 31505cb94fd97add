/// One interval of a run: what was sent, how fast it came back, and how many users were busy.
package struct IntervalPoint: Sendable, Equatable {
    /// Seconds from the start of the run.
    package var start: Double
    /// Seconds this point covers (1 unless a long run was coarsened).
    package var length: Double
    package var requests = 0
    package var errors = 0
    package var droppedIterations = 0
    /// Iterations that finished in the interval (compare with `targetRate`).
    package var iterations = 0
    /// Iterations per second the open-model executors aimed at (0 for closed-model scenarios).
    package var targetRate = 0.0
    /// The most virtual users busy at once during the interval.
    package var activeVUs = 0
    /// Corrected latency of the requests that finished in the interval.
    package var latency = CompactHistogram()

    package init(start: Double, length: Double) {
        self.start = start
        self.length = length
    }

    package var ratePerSecond: Double { length > 0 ? Double(requests) / length : 0 }
    package var iterationsPerSecond: Double { length > 0 ? Double(iterations) / length : 0 }

    /// Adds what another load generator measured in the same interval.
    package mutating func add(_ other: IntervalPoint) {
        requests += other.requests
        errors += other.errors
        droppedIterations += other.droppedIterations
        iterations += other.iterations
        targetRate += other.targetRate
        activeVUs += other.activeVUs
        latency.add(other.latency)
    }

    /// Joins the next interval of the same generator into this one.
    mutating func append(_ next: IntervalPoint) {
        let total = length + next.length
        targetRate = (targetRate * length + next.targetRate * next.length) / total
        activeVUs = max(activeVUs, next.activeVUs)
        requests += next.requests
        errors += next.errors
        droppedIterations += next.droppedIterations
        iterations += next.iterations
        latency.add(next.latency)
        length = total
    }
}

extension IntervalPoint: Codable {
    private enum Keys: String, CodingKey {
        case start = "start_s", length = "length_s", requests, errors, droppedIterations = "dropped_iterations", iterations, targetRate = "target_rate_per_s"
        case activeVUs = "active_vus", latency = "latency_histogram", rate = "rate_per_s", p50 = "p50_ms", p95 = "p95_ms", p99 = "p99_ms"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        start = try DecodedFigures.seconds(c, .start)
        length = try DecodedFigures.seconds(c, .length)
        requests = try DecodedFigures.count(c, .requests)
        errors = try DecodedFigures.count(c, .errors)
        droppedIterations = try DecodedFigures.count(c, .droppedIterations)
        iterations = try DecodedFigures.check(c.decodeIfPresent(Int.self, forKey: .iterations) ?? 0, c, .iterations)
        targetRate = try c.decode(Double.self, forKey: .targetRate)
        guard targetRate.isFinite, targetRate >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .targetRate, in: c, debugDescription: "target_rate_per_s must be a rate of 0 or more")
        }
        activeVUs = try DecodedFigures.count(c, .activeVUs)
        latency = try c.decode(CompactHistogram.self, forKey: .latency)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(start, forKey: .start)
        try c.encode(length, forKey: .length)
        try c.encode(requests, forKey: .requests)
        try c.encode(errors, forKey: .errors)
        try c.encode(droppedIterations, forKey: .droppedIterations)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(targetRate, forKey: .targetRate)
        try c.encode(activeVUs, forKey: .activeVUs)
        try c.encode(ratePerSecond, forKey: .rate)
        try c.encode(latency.milliseconds(atPercentile: 50), forKey: .p50)
        try c.encode(latency.milliseconds(atPercentile: 95), forKey: .p95)
        try c.encode(latency.milliseconds(atPercentile: 99), forKey: .p99)
        try c.encode(latency, forKey: .latency)
    }
}

/// A run's intervals, one per second; a long run keeps at most `maximumPoints` by joining
/// neighbouring intervals (the interval doubles), so memory stays bounded however long it runs.
package struct TimeSeries: Sendable, Equatable, Codable {
    package static let maximumPoints = 3_600

    package private(set) var interval: Double = 1
    package private(set) var points: [IntervalPoint] = []

    package init() {}

    private enum Keys: String, CodingKey { case interval, points }

    /// The interval is a whole power of two seconds (each coarsening doubles it), so merges end.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        interval = try DecodedFigures.seconds(c, .interval)
        guard interval >= 1, interval == interval.rounded(), Int(interval).nonzeroBitCount == 1 else {
            throw DecodingError.dataCorruptedError(forKey: .interval, in: c, debugDescription: "interval must be 1, 2, 4, … seconds (found \(interval))")
        }
        points = try c.decode([IntervalPoint].self, forKey: .points)
        guard points.count <= 2 * Self.maximumPoints else {
            throw DecodingError.dataCorruptedError(forKey: .points, in: c, debugDescription: "more than \(2 * Self.maximumPoints) points")
        }
        // Points are joined when a long run is coarsened or shards are merged: their sums must not overflow.
        for (figure, values) in [("requests", points.map(\.requests)), ("errors", points.map(\.errors)), ("dropped iterations", points.map(\.droppedIterations)),
                                 ("iterations", points.map(\.iterations)), ("active users", points.map(\.activeVUs)),
                                 ("latency counts", points.map { Int($0.latency.count) })] {
            try DecodedFigures.total(values, c, .points, what: "points' \(figure)")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(interval, forKey: .interval)
        try c.encode(points, forKey: .points)
    }

    /// Adds the next interval of this run (`point.length` is the base interval, 1 s).
    package mutating func append(_ point: IntervalPoint) {
        if let last = points.last, last.length < interval {
            points[points.count - 1].append(point)
        } else {
            var point = point
            point.start = Double(points.count) * interval
            points.append(point)
        }
        if points.count > Self.maximumPoints { coarsen() }
    }

    /// Adds another generator's series of the same run, interval by interval.
    package mutating func merge(_ other: TimeSeries) {
        var other = other
        while other.interval < interval { other.coarsen() }
        while interval < other.interval { coarsen() }
        for (position, point) in other.points.enumerated() {
            if position < points.count {
                points[position].add(point)
            } else {
                points.append(point)
            }
        }
    }

    /// Joins neighbouring points in pairs.
    mutating func coarsen() {
        var joined: [IntervalPoint] = []
        joined.reserveCapacity(points.count / 2 + 1)
        var position = 0
        while position < points.count {
            var point = points[position]
            if position + 1 < points.count { point.append(points[position + 1]) }
            point.start = Double(joined.count) * interval * 2
            joined.append(point)
            position += 2
        }
        interval *= 2
        points = joined
    }
}
