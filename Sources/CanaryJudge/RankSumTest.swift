import Foundation

/// The Mann–Whitney U test of two samples (two-sided) with the Hodges–Lehmann estimate of the
/// shift between them and its distribution-free confidence interval, as Kayenta's judge uses them.
///
/// The p-value is scipy's `mannwhitneyu(canary, baseline)` with its defaults: the exact
/// distribution when either sample has at most 8 observations and there are no ties, the normal
/// approximation with tie and continuity corrections otherwise.
package struct RankSumTest: Sendable, Equatable {
    /// U of the canary: pairs (canary, baseline) where the canary's is larger, ties counting ½.
    package let u: Double
    package let pValue: Double
    /// The median of every canary − baseline difference (Hodges–Lehmann); 0 when a side is empty.
    package let shift: Double
    /// The shift's confidence interval at the confidence asked for.
    package let shiftInterval: ClosedRange<Double>
    /// Whether the exact distribution was used (else the normal approximation).
    package let exact: Bool

    /// The samples exact p-values are computed for at most: m·n pairs (beyond it the normal
    /// approximation is as good and costs nothing).
    static let exactPairLimit = 4_000_000

    /// Compares `canary` with `baseline`; `confidence` (0.5–1) sets the shift's interval.
    package init(canary: WeightedSample, baseline: WeightedSample, confidence: Double) {
        let m = canary.total, n = baseline.total
        guard m > 0, n > 0 else {
            u = 0; pValue = 1; shift = 0; shiftInterval = 0...0; exact = false
            return
        }
        let ranks = Self.rankSumAndTies(canary: canary, baseline: baseline)
        u = ranks.rankSum - Double(m) * Double(m + 1) / 2
        let pairs = Double(m) * Double(n)
        let larger = max(u, pairs - u)
        let total = Double(m + n)
        let sigma = (pairs / 12 * ((total + 1) - ranks.tieTerm / (total * (total - 1)))).squareRoot()
        exact = min(m, n) <= 8 && ranks.tieTerm == 0 && m * n <= Self.exactPairLimit
        let alpha = 1 - confidence
        // Ranks among the m·n pairs, in doubles: counts read from a file reach 2^53 a side, and their product no integer holds.
        var lowerRank: Double
        if exact {
            let distribution = ExactUDistribution(m: min(m, n), n: max(m, n))
            pValue = min(1, 2 * distribution.probability(atLeast: Int(larger.rounded())))
            lowerRank = Double(distribution.lowerRank(tail: alpha / 2))
        } else {
            pValue = sigma > 0 ? min(1, 2 * NormalDistribution.upperTail((larger - pairs / 2 - 0.5) / sigma)) : 1
            lowerRank = (pairs / 2 - NormalDistribution.quantile(1 - alpha / 2) * sigma).rounded(.down)
        }
        let count = pairs
        let middleRank = ((count + 1) / 2).rounded(.down)
        lowerRank = min(max(lowerRank, 1), middleRank)
        let differences = PairwiseDifferences(canary: canary, baseline: baseline)
        let middle = differences.value(atRank: middleRank)
        shift = count.truncatingRemainder(dividingBy: 2) == 1 ? middle : (middle + differences.value(atRank: middleRank + 1)) / 2
        shiftInterval = differences.value(atRank: lowerRank)...differences.value(atRank: count + 1 - lowerRank)
    }

    /// The canary's rank sum (ties share their average rank) and Σ(t³ − t) over tied groups.
    private static func rankSumAndTies(canary: WeightedSample, baseline: WeightedSample) -> (rankSum: Double, tieTerm: Double) {
        var i = 0, j = 0
        var below = 0.0
        var rankSum = 0.0, tieTerm = 0.0
        while i < canary.values.count || j < baseline.values.count {
            let value = min(i < canary.values.count ? canary.values[i] : .infinity, j < baseline.values.count ? baseline.values[j] : .infinity)
            var fromCanary = 0.0, tied = 0.0
            if i < canary.values.count, canary.values[i] == value { fromCanary = Double(canary.counts[i]); i += 1 }
            tied = fromCanary
            if j < baseline.values.count, baseline.values[j] == value { tied += Double(baseline.counts[j]); j += 1 }
            rankSum += fromCanary * (below + (tied + 1) / 2)
            tieTerm += tied * tied * tied - tied
            below += tied
        }
        return (rankSum, tieTerm)
    }
}

/// The exact null distribution of U for samples of m and n distinct observations (every
/// arrangement of the m + n ranks equally likely), as counts per U in doubles.
struct ExactUDistribution {
    let m: Int, n: Int
    /// P(U = u) for u in 0...m·n.
    private let probabilities: [Double]

    init(m: Int, n: Int) {
        self.m = m
        self.n = n
        // The generating function ∏_{i=1…m} (1 − q^{n+i}) / (1 − q^i), multiplied out term by term.
        let top = m * n
        var coefficients = [Double](repeating: 0, count: top + 1)
        coefficients[0] = 1
        for i in 1...max(m, 1) where m > 0 {
            // × (1 − q^{n+i})
            if n + i <= top { for k in stride(from: top, through: n + i, by: -1) { coefficients[k] -= coefficients[k - n - i] } }
            // ÷ (1 − q^i): a running sum with stride i.
            if i <= top { for k in i...top { coefficients[k] += coefficients[k - i] } }
        }
        let total = coefficients.reduce(0, +)
        probabilities = coefficients.map { $0 / total }
    }

    /// P(U ≥ u).
    func probability(atLeast u: Int) -> Double {
        guard u > 0 else { return 1 }
        guard u <= m * n else { return 0 }
        return probabilities[u...].reduce(0, +)
    }

    /// The rank of the confidence interval's lower end: the largest k with P(U ≤ k − 1) ≤ `tail`
    /// (0 when even U = 0 is likelier than the tail).
    func lowerRank(tail: Double) -> Int {
        var sum = 0.0
        for (u, p) in probabilities.enumerated() {
            sum += p
            if sum > tail * (1 + 1e-12) { return u }
        }
        return m * n
    }
}

/// Every canary − baseline difference, ranked without being listed: the k-th smallest is found
/// by bisecting over doubles, counting the pairs at or below a candidate in one merge pass.
struct PairwiseDifferences {
    let canary: WeightedSample
    let baseline: WeightedSample

    /// Pairs whose difference is at most `limit`.
    func count(atMost limit: Double) -> Double {
        // For canary value c, the baseline values b with c − b ≤ limit are a suffix of the sorted
        // baseline; the suffix only shrinks as c grows.
        var start = 0
        var suffix = baseline.total
        var count = 0.0
        for (value, weight) in zip(canary.values, canary.counts) {
            while start < baseline.values.count, value - baseline.values[start] > limit {
                suffix -= baseline.counts[start]
                start += 1
            }
            count += Double(weight) * Double(suffix)
        }
        return count
    }

    /// The `rank`-th smallest difference (1-based).
    func value(atRank rank: Double) -> Double {
        guard let firstCanary = canary.values.first, let lastCanary = canary.values.last,
              let firstBaseline = baseline.values.first, let lastBaseline = baseline.values.last else { return 0 }
        // Bisect on the doubles' order-preserving bit patterns: 64 steps reach the exact difference.
        var low = OrderedBits(firstCanary - lastBaseline).key
        var high = OrderedBits(lastCanary - firstBaseline).key
        while low < high {
            let middle = (low & high) + ((low ^ high) >> 1)  // the floor of the mean, without overflow
            if count(atMost: OrderedBits(key: middle).value) >= rank { high = middle } else { low = middle + 1 }
        }
        return OrderedBits(key: low).value
    }
}

/// A double's bits mapped to an integer that orders as the doubles do (negatives below positives).
private struct OrderedBits {
    let key: Int64

    init(_ value: Double) {
        let bits = Int64(bitPattern: value.bitPattern)
        key = bits < 0 ? Int64.min - bits - 1 : bits
    }

    init(key: Int64) { self.key = key }

    var value: Double {
        let bits = key < 0 ? Int64.min - key - 1 : key
        return Double(bitPattern: UInt64(bitPattern: bits))
    }
}
