/// A latency histogram kept as its non-empty buckets only (a few hundred pairs instead of
/// HdrHistogram's ~23,000 counters), for the many small per-interval histograms of a time series.
/// Exact: built from a `LatencyHistogram`'s buckets and merged bucket by bucket.
package struct CompactHistogram: Sendable, Equatable, Codable {
    /// Each bucket's highest equivalent value (µs) and its count, lowest first.
    package private(set) var buckets: [[UInt64]] = []
    /// The exact smallest and largest values (µs); 0 when empty.
    package private(set) var min: UInt64 = 0
    package private(set) var max: UInt64 = 0

    package init() {}

    package init(_ histogram: LatencyHistogram) {
        buckets = histogram.buckets.map { [$0.micros, $0.count] }
        min = histogram.minMicros
        max = histogram.maxMicros
    }

    package var count: UInt64 { buckets.reduce(0) { $0 + $1[1] } }

    private enum Keys: String, CodingKey { case buckets, min, max }

    /// Each bucket `[micros, count ≥ 1]`, in rising order, counts totalling at most 2^53.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        buckets = try c.decode([[UInt64]].self, forKey: .buckets)
        min = try c.decode(UInt64.self, forKey: .min)
        max = try c.decode(UInt64.self, forKey: .max)
        var total: UInt64 = 0, previous: UInt64 = 0
        for (position, bucket) in buckets.enumerated() {
            guard bucket.count == 2, bucket[1] >= 1, bucket[1] <= UInt64(DecodedFigures.maximumCount) - total, position == 0 || bucket[0] > previous else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: c,
                                                       debugDescription: "bucket \(position) must be [micros, count ≥ 1] above the one before, counts totalling at most 2^53")
            }
            total += bucket[1]
            previous = bucket[0]
        }
        guard min <= max else { throw DecodingError.dataCorruptedError(forKey: .min, in: c, debugDescription: "min is above max") }
    }

    /// Adds another histogram's counts.
    package mutating func add(_ other: CompactHistogram) {
        guard !other.buckets.isEmpty else { return }
        min = buckets.isEmpty ? other.min : Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        var merged: [[UInt64]] = []
        merged.reserveCapacity(buckets.count + other.buckets.count)
        var i = 0, j = 0
        while i < buckets.count || j < other.buckets.count {
            if j == other.buckets.count || (i < buckets.count && buckets[i][0] < other.buckets[j][0]) {
                merged.append(buckets[i]); i += 1
            } else if i == buckets.count || other.buckets[j][0] < buckets[i][0] {
                merged.append(other.buckets[j]); j += 1
            } else {
                merged.append([buckets[i][0], buckets[i][1] + other.buckets[j][1]]); i += 1; j += 1
            }
        }
        buckets = merged
    }

    /// The latency at `percentile` (0–100) in milliseconds, as HdrHistogram reports it; 0 when empty.
    package func milliseconds(atPercentile percentile: Double) -> Double {
        let total = count
        guard total > 0 else { return 0 }
        if percentile <= 0 { return Double(min) / 1000 }
        if percentile >= 100 { return Double(max) / 1000 }
        // As HdrHistogram does: the bucket holding the ⌈p·n⌉-th value, its highest equivalent
        // value kept within the exact minimum and maximum.
        let wanted = Swift.max(1, UInt64((percentile.nextDown * Double(total) / 100).rounded(.up)))
        var running: UInt64 = 0
        for bucket in buckets {
            running += bucket[1]
            if running >= wanted { return Double(Swift.max(Swift.min(bucket[0], max), min)) / 1000 }
        }
        return Double(max) / 1000
    }
}
