import Foundation

/// Two rates compared (two-sided): the canary's `events` of `trials` against the baseline's.
/// Fisher's exact test when a cell of the 2×2 table would expect fewer than 5 (as scipy's
/// `fisher_exact` computes it), else the pooled two-proportion z-test.
package struct ProportionTest: Sendable, Equatable {
    package enum Method: String, Sendable, Codable { case fisher = "fisher-exact", twoProportion = "two-proportion-z" }

    package let method: Method
    package let pValue: Double
    /// Canary rate − baseline rate, 0–1 scale.
    package let difference: Double

    package init(canaryEvents: Int, canaryTrials: Int, baselineEvents: Int, baselineTrials: Int) {
        precondition((0...canaryTrials).contains(canaryEvents) && (0...baselineTrials).contains(baselineEvents), "events within trials")
        let canaryRate = canaryTrials == 0 ? 0 : Double(canaryEvents) / Double(canaryTrials)
        let baselineRate = baselineTrials == 0 ? 0 : Double(baselineEvents) / Double(baselineTrials)
        difference = canaryRate - baselineRate
        let total = Double(canaryTrials + baselineTrials)
        let events = Double(canaryEvents + baselineEvents)
        let smallestExpected = total == 0 ? 0 : min(events, total - events) * Double(min(canaryTrials, baselineTrials)) / total
        guard canaryTrials > 0, baselineTrials > 0 else {
            method = .twoProportion
            pValue = 1
            return
        }
        if smallestExpected < 5 {
            method = .fisher
            pValue = Self.fisher(a: canaryEvents, b: canaryTrials - canaryEvents, c: baselineEvents, d: baselineTrials - baselineEvents)
        } else {
            method = .twoProportion
            let pooled = events / total
            let error = (pooled * (1 - pooled) * (1 / Double(canaryTrials) + 1 / Double(baselineTrials))).squareRoot()
            pValue = error > 0 ? min(1, 2 * NormalDistribution.upperTail(abs(difference) / error)) : 1
        }
    }

    /// The two-sided p-value of the table [[a, b], [c, d]]: the probability, with the margins
    /// fixed, of every table no likelier than this one.
    static func fisher(a: Int, b: Int, c: Int, d: Int) -> Double {
        let row = a + b, column = a + c, total = a + b + c + d
        func logProbability(_ x: Int) -> Double {
            logChoose(column, x) + logChoose(total - column, row - x) - logChoose(total, row)
        }
        let observed = logProbability(a)
        // The same relative tolerance as scipy and R, so that tables equally likely in exact
        // arithmetic count though rounding set them a hair apart.
        let limit = observed + log1p(1e-7)
        var sum = 0.0
        for x in max(0, row - (total - column))...min(row, column) {
            let p = logProbability(x)
            if p <= limit { sum += exp(p) }
        }
        return min(1, sum)
    }

    private static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
