package import Histogram

/// A latency distribution in microseconds, 1 µs to 1 hour at 3 significant digits (HdrHistogram).
/// Encodes sparsely — each non-empty bucket as `[value, count]` — and losslessly: decoding and
/// adding give exactly the counts recorded, so shard results merge exactly.
package struct LatencyHistogram: Sendable, Equatable {
    /// The longest latency tracked; longer ones are recorded as this value.
    package static let highestMicros: UInt64 = 3_600_000_000

    /// The most values one decoded histogram may hold (exact in a JSON number).
    static let maximumCount: UInt64 = 1 << 53

    package private(set) var histogram: Histogram<UInt64>

    package init() {
        histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: Self.highestMicros, numberOfSignificantValueDigits: .three)
    }

    package var count: UInt64 { histogram.totalCount }

    /// Records one latency.
    package mutating func record(micros: UInt64) {
        histogram.record(min(max(micros, 1), Self.highestMicros))
    }

    /// Records one latency and, when it exceeds `expectedInterval`, the latencies of the requests a
    /// blocked user would have sent meanwhile (HdrHistogram's coordinated-omission correction).
    package mutating func record(micros: UInt64, expectedInterval: UInt64) {
        histogram.recordCorrectedValue(min(max(micros, 1), Self.highestMicros), expectedInterval: expectedInterval)
    }

    package mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    package mutating func reset() { histogram.reset() }

    /// The latency at `percentile` (0–100) in milliseconds; 0 when nothing was recorded.
    package func milliseconds(atPercentile percentile: Double) -> Double {
        count == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    package var maxMilliseconds: Double { count == 0 ? 0 : Double(histogram.maxRecorded) / 1000 }

    /// The exact smallest and largest values recorded (µs); 0 when empty.
    package var minMicros: UInt64 { count == 0 ? 0 : histogram.min }
    package var maxMicros: UInt64 { count == 0 ? 0 : histogram.maxRecorded }
    package var meanMilliseconds: Double { count == 0 ? 0 : histogram.mean / 1000 }

    /// The non-empty buckets, lowest first: each bucket's highest equivalent value and its count.
    package var buckets: [(micros: UInt64, count: UInt64)] {
        histogram.recordedValues().map { ($0.value, UInt64($0.count)) }
    }

    package static func == (lhs: LatencyHistogram, rhs: LatencyHistogram) -> Bool {
        lhs.count == rhs.count && lhs.minMicros == rhs.minMicros && lhs.maxMicros == rhs.maxMicros
            && lhs.buckets.elementsEqual(rhs.buckets) { $0.micros == $1.micros && $0.count == $1.count }
    }
}

extension LatencyHistogram: Codable {
    private enum Keys: String, CodingKey { case unit, digits, min, max, buckets }

    package init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: Keys.self)
        let pairs = try container.decode([[UInt64]].self, forKey: .buckets)
        let low = try container.decodeIfPresent(UInt64.self, forKey: .min)
        let high = try container.decodeIfPresent(UInt64.self, forKey: .max)
        var total: UInt64 = 0
        for (position, pair) in pairs.enumerated() {
            guard pair.count == 2, pair[0] >= 1, pair[1] >= 1, pair[1] <= Self.maximumCount - total else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: container,
                                                       debugDescription: "bucket \(position) must be [micros, count ≥ 1], counts totalling at most 2^53")
            }
            total += pair[1]
            // The first bucket's values are recorded at the exact minimum and the last one's at the
            // exact maximum (equivalent values: the counts are the same), so both survive the trip.
            var remaining = pair[1]
            var value = pair[0]
            if position == pairs.count - 1, let high { value = high }
            if position == 0, let low {
                guard histogram.valuesAreEquivalent(low, pair[0]), histogram.record(low) else {
                    throw DecodingError.dataCorruptedError(forKey: .buckets, in: container, debugDescription: "min \(low) is not in the first bucket")
                }
                remaining -= 1
                if pairs.count > 1 { value = low }
            }
            guard histogram.valuesAreEquivalent(value, pair[0]) else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: container, debugDescription: "max \(value) is not in the last bucket")
            }
            guard remaining == 0 || histogram.record(value, count: remaining) else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: container, debugDescription: "bucket \(position): \(pair[0]) µs is out of range")
            }
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("us", forKey: .unit)
        try container.encode(3, forKey: .digits)
        try container.encode(minMicros, forKey: .min)
        try container.encode(maxMicros, forKey: .max)
        try container.encode(buckets.map { [$0.micros, $0.count] }, forKey: .buckets)
    }
}
