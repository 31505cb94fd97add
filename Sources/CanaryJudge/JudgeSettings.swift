package import SLO

/// Which way a difference counts against the canary.
package enum JudgeDirection: String, Sendable, Codable, CaseIterable {
    /// Higher on the canary is worse (latency, error rates).
    case increase
    /// Lower on the canary is worse (a check's pass rate).
    case decrease
    /// Any difference beyond the tolerance is worse.
    case either
}

/// Which requests a metric reads: all of them, one request name, or one tag.
package enum RequestGroup: Sendable, Equatable, Hashable, CustomStringConvertible {
    case all
    case name(String)
    case tag(String)

    /// `all`, `tag:NAME`, or a request name.
    package init(_ text: String) {
        if text == "all" { self = .all } else if text.hasPrefix("tag:") { self = .tag(String(text.dropFirst(4))) } else { self = .name(text) }
    }

    package var description: String {
        switch self {
        case .all: return "all"
        case .name(let name): return name
        case .tag(let tag): return "tag:\(tag)"
        }
    }
}

/// What a judged metric measures on each path.
package enum JudgedMeasure: Sendable, Equatable {
    /// The latency distribution of a group of requests (Mann–Whitney U, Hodges–Lehmann shift).
    case latency(RequestGroup)
    /// The share of a group's requests that failed.
    case errorRate(RequestGroup)
    /// Payments answered with a failure over payments answered (requests tagged `payment`).
    case paymentFailureRate
    /// The share of a check's evaluations that passed.
    case checkPassRate(String)
    /// Two PromQL queries, one per path (as Kayenta's and Argo's Kayenta provider take them),
    /// each a series over the stage's load sampled every `step` seconds: the values compared
    /// as latencies are (Mann–Whitney U, Hodges–Lehmann shift).
    case queryPair(baseline: String, canary: String, step: Double)

    /// Whether the measure is a distribution (else a rate).
    package var isLatency: Bool { if case .latency = self { return true } else { return false } }

    /// Whether the measure is a pair of PromQL series.
    package var isQueryPair: Bool { if case .queryPair = self { return true } else { return false } }
}

/// One metric compared canary against baseline, and how much worse the canary may be.
package struct JudgedMetric: Sendable, Equatable {
    package var name: String
    package var measure: JudgedMeasure
    package var direction: JudgeDirection
    /// The largest change allowed relative to the baseline (0.1 = 10 % of the baseline's median
    /// or rate); nil for no relative tolerance.
    package var allowedIncrease: Double?
    /// The largest change allowed in the metric's own unit: milliseconds for latency, a share
    /// (0–1) for rates; nil for none. A difference counts only when it exceeds every tolerance given.
    package var allowedShift: Double?
    /// A failing critical metric fails the whole judgement.
    package var critical: Bool
    /// The metric's share of the score.
    package var weight: Double
    /// The action this metric's failure asks for; nil leaves it to the score.
    package var action: RolloutAction?

    package init(name: String, measure: JudgedMeasure, direction: JudgeDirection, allowedIncrease: Double? = nil, allowedShift: Double? = nil,
                 critical: Bool = false, weight: Double = 1, action: RolloutAction? = nil) {
        self.name = name
        self.measure = measure
        self.direction = direction
        self.allowedIncrease = allowedIncrease
        self.allowedShift = allowedShift
        self.critical = critical
        self.weight = weight
        self.action = action
    }
}

/// How the canary is judged: the metrics, the confidence of each test, and the score thresholds.
package struct JudgeSettings: Sendable, Equatable {
    /// Each test's confidence (0.5–1, exclusive): a difference is significant when its p-value is below 1 − confidence.
    package var confidence: Double
    /// Fewer observations on either path is NoData, and the judgement inconclusive.
    package var minSamples: Int
    /// A score (0–100) at least this proceeds.
    package var passScore: Double
    /// A score at least this (below `passScore`) is marginal: pause; below it, roll back.
    package var marginalScore: Double
    package var metrics: [JudgedMetric]

    package static let defaultConfidence = 0.98
    package static let defaultMinSamples = 50
    /// Kayenta's defaults.
    package static let defaultPassScore = 95.0
    package static let defaultMarginalScore = 75.0
    /// `tollgate judge` with no judge file: 10 % and 20 ms (latency), 10 % (rates).
    package static let defaultAllowedIncrease = 0.10
    package static let defaultAllowedLatencyShift = 20.0

    package init(confidence: Double = defaultConfidence, minSamples: Int = defaultMinSamples, passScore: Double = defaultPassScore,
                 marginalScore: Double = defaultMarginalScore, metrics: [JudgedMetric]) {
        self.confidence = confidence
        self.minSamples = minSamples
        self.passScore = passScore
        self.marginalScore = marginalScore
        self.metrics = metrics
    }

    /// Every request name's and tag's latency and error rate, direction `increase`, with the
    /// default tolerances: what `tollgate judge` compares when given no judge file.
    package static func everyRequest(names: [String], tags: [String]) -> JudgeSettings {
        let groups = names.sorted().map(RequestGroup.name) + tags.sorted().map(RequestGroup.tag)
        return JudgeSettings(metrics: groups.flatMap { group in
            [JudgedMetric(name: "latency \(group)", measure: .latency(group), direction: .increase,
                          allowedIncrease: defaultAllowedIncrease, allowedShift: defaultAllowedLatencyShift),
             JudgedMetric(name: "error rate \(group)", measure: .errorRate(group), direction: .increase, allowedIncrease: defaultAllowedIncrease)]
        })
    }
}
