package import LoadMetrics

/// Observations as distinct values, lowest first, each with how many times it was seen: a raw
/// sample and a histogram's buckets alike, so the rank tests run on either.
package struct WeightedSample: Sendable, Equatable {
    package private(set) var values: [Double]
    package private(set) var counts: [Int]

    /// The number of observations.
    package let total: Int

    /// Raw observations, in any order.
    package init(_ observations: [Double]) {
        var values: [Double] = []
        var counts: [Int] = []
        for value in observations.sorted() {
            if value == values.last { counts[counts.count - 1] += 1 } else { values.append(value); counts.append(1) }
        }
        self.init(sortedValues: values, counts: counts)
    }

    /// Distinct values in ascending order with their counts (each ≥ 1).
    package init(sortedValues: [Double], counts: [Int]) {
        precondition(sortedValues.count == counts.count, "one count per value")
        values = sortedValues
        self.counts = counts
        total = counts.reduce(0, +)
    }

    /// A latency histogram's buckets in milliseconds: each bucket's values are equal to within the
    /// histogram's precision (3 significant digits), so ranks differ from the raw sample's only
    /// between latencies that close.
    package init(_ histogram: LatencyHistogram) {
        let buckets = histogram.buckets
        self.init(sortedValues: buckets.map { Double($0.micros) / 1000 }, counts: buckets.map { Int($0.count) })
    }

    package var isEmpty: Bool { total == 0 }

    /// The median observation (the mean of the two middle ones when the count is even); 0 when empty.
    package var median: Double {
        guard total > 0 else { return 0 }
        let low = value(atRank: (total + 1) / 2)
        return total % 2 == 1 ? low : (low + value(atRank: total / 2 + 1)) / 2
    }

    /// The `rank`-th smallest observation, 1-based.
    package func value(atRank rank: Int) -> Double {
        var seen = 0
        for (value, count) in zip(values, counts) {
            seen += count
            if seen >= rank { return value }
        }
        return values.last ?? 0
    }
}
