package import SLO

/// How one metric compared (Kayenta's classes): no significant difference beyond the tolerance,
/// significantly higher or lower on the canary, or too few observations to tell.
package enum MetricClassification: String, Sendable, Codable {
    case pass = "Pass", high = "High", low = "Low", noData = "NoData"
}

/// One metric's figures on a path.
package struct PathFigures: Sendable, Codable, Equatable {
    /// Observations: requests, payments or check evaluations.
    package var samples: Int
    /// Latency: the median in milliseconds. Rates: the rate, 0–1.
    package var value: Double
    /// Rates: how many of the samples were events (errors, failed payments, passed checks).
    package var events: Int?

    enum CodingKeys: String, CodingKey { case samples, value, events }
}

/// One metric's comparison: both paths' figures, the test, the shift and the classification.
package struct MetricJudgement: Sendable, Codable, Equatable {
    package var name: String
    /// "latency" (milliseconds) or "rate" (0–1).
    package var kind: String
    /// What was read: `latency get product`, `error_rate tag:payment`, …
    package var measure: String
    package var direction: JudgeDirection
    package var baseline: PathFigures
    package var canary: PathFigures
    /// Latency: the Hodges–Lehmann shift (ms); rates: canary − baseline (0–1).
    package var shift: Double
    /// Latency: the shift's confidence interval.
    package var interval: [Double]?
    package var pValue: Double
    /// `mann-whitney-u`, `fisher-exact` or `two-proportion-z`.
    package var test: String
    /// The shift the tolerances allow (the larger of the relative and the absolute).
    package var tolerance: Double
    package var classification: MetricClassification
    package var passed: Bool
    package var critical: Bool
    package var weight: Double
    package var action: RolloutAction?
    /// One sentence: why it passed, failed or could not be judged.
    package var reason: String
    /// Latency: both paths' distributions as quantiles (ms) at `JudgementQuantiles.levels`, for charts.
    package var baselineQuantiles: [Double]?
    package var canaryQuantiles: [Double]?

    enum CodingKeys: String, CodingKey {
        case name, kind, measure, direction, baseline, canary, shift, interval, pValue = "p_value", test, tolerance, classification, passed
        case critical, weight, action, reason, baselineQuantiles = "baseline_quantiles_ms", canaryQuantiles = "canary_quantiles_ms"
    }
}

/// The quantile levels (0–1) latency distributions are kept at in a judgement.
package enum JudgementQuantiles {
    package static let levels: [Double] = [0.01, 0.05] + stride(from: 0.1, through: 0.9, by: 0.1).map { $0 } + [0.95, 0.99, 0.999]
}

/// The canary judged against the baseline: every metric, the score and what the rollout should do.
package struct Judgement: Sendable, Codable, Equatable {
    package var metrics: [MetricJudgement]
    /// The weighted share (0–100) of passing metrics among those scored (judged, with no action of their own).
    package var score: Double
    package var passScore: Double
    package var marginalScore: Double
    package var confidence: Double
    package var minSamples: Int
    /// Some metric had too few observations on a path: never a pass.
    package var inconclusive: Bool
    package var passed: Bool
    package var action: RolloutAction
    /// One sentence on how the action was reached.
    package var reason: String

    enum CodingKeys: String, CodingKey {
        case metrics, score, passScore = "pass_score", marginalScore = "marginal_score", confidence, minSamples = "min_samples"
        case inconclusive, passed, action, reason
    }

    /// The exit status `tollgate judge` and the gate use: 0 proceed, 3 reduce, 4 pause, 5 roll back.
    package var exitCode: Int32 {
        switch action {
        case .proceed: return 0
        case .reduce: return 3
        case .pause: return 4
        case .rollback: return 5
        }
    }
}
