package import LoadMetrics

/// An objective with the value measured and whether it held. An objective with nothing to
/// measure (no requests in its selection, no checks) is inconclusive: not passed, and it asks
/// for a pause — never a pass without evidence.
package struct SLOResult: Sendable, Equatable {
    package var objective: Objective
    /// In the objective's unit (milliseconds, percent, per second, count).
    package var value: Double
    package var passed: Bool
    /// Why there was nothing to judge, when there was not.
    package var inconclusive: String?

    package init(objective: Objective, value: Double, passed: Bool, inconclusive: String? = nil) {
        self.objective = objective
        self.value = value
        self.passed = inconclusive == nil && passed
        self.inconclusive = inconclusive
    }

    /// What a failed result asks for: the objective's action when breached, a pause when inconclusive.
    package var action: RolloutAction { inconclusive != nil ? .pause : objective.action }
}

extension Objective {
    /// The objective's value in `metrics` of a run that lasted `duration` seconds; a group with
    /// no requests measures 0.
    package func value(in metrics: RunMetrics, duration: Double) -> Double {
        let stats: RequestStats
        switch scope {
        case .all: stats = metrics.total
        case .name(let name): stats = metrics.byName[name] ?? RequestStats()
        case .tag(let tag): stats = metrics.byTag[tag] ?? RequestStats()
        }
        switch metric {
        case .latency(let percentile):
            return percentile == 100 ? stats.latency.maxMilliseconds : stats.latency.milliseconds(atPercentile: percentile)
        case .errorRate: return stats.errorRate * 100
        case .paymentFailureRate: return (metrics.byTag[Self.paymentTag]?.answeredErrorRate ?? 0) * 100
        case .rate: return duration > 0 ? Double(metrics.total.requests) / duration : 0
        case .checks: return metrics.checkPassRate * 100
        case .droppedIterations: return Double(metrics.droppedIterations)
        }
    }

    /// Requests tagged this count toward `payment_failure_rate`: those answered with a failure
    /// over those answered. A payment request with no answer (a client timeout) has an unknown
    /// outcome — an error and a latency, never a payment failure.
    package static let paymentTag = "payment"

    package func evaluate(_ metrics: RunMetrics, duration: Double) -> SLOResult {
        let value = value(in: metrics, duration: duration)
        return SLOResult(objective: self, value: value, passed: holds(for: value), inconclusive: missingEvidence(in: metrics))
    }

    /// Why `metrics` hold nothing this objective can be judged on, or nil.
    package func missingEvidence(in metrics: RunMetrics) -> String? {
        guard metrics.total.requests > 0 else { return "no requests were made" }
        switch (metric, scope) {
        case (.checks, _):
            return metrics.checks.isEmpty ? "no checks ran" : nil
        case (.paymentFailureRate, _):
            guard let payments = metrics.byTag[Self.paymentTag], payments.requests > 0 else { return "no requests tagged '\(Self.paymentTag)' were made" }
            return payments.answered == 0 ? "none of the \(payments.requests) requests tagged '\(Self.paymentTag)' was answered: every outcome is unknown" : nil
        case (_, .name(let name)):
            return (metrics.byName[name]?.requests ?? 0) == 0 ? "no requests named '\(name)' were made" : nil
        case (_, .tag(let tag)):
            return (metrics.byTag[tag]?.requests ?? 0) == 0 ? "no requests tagged '\(tag)' were made" : nil
        default:
            return nil
        }
    }
}

extension SLOResult: Codable {
    private enum Keys: String, CodingKey { case expression, value, unit, threshold, passed, action, inconclusive }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        objective = try Objective(parsing: try c.decode(String.self, forKey: .expression))
        value = try c.decode(Double.self, forKey: .value)
        inconclusive = try c.decodeIfPresent(String.self, forKey: .inconclusive)
        passed = try c.decode(Bool.self, forKey: .passed) && inconclusive == nil
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(objective.expression, forKey: .expression)
        try c.encode(value, forKey: .value)
        try c.encode(objective.unit, forKey: .unit)
        try c.encode(objective.threshold, forKey: .threshold)
        try c.encode(passed, forKey: .passed)
        try c.encode(objective.action, forKey: .action)
        try c.encodeIfPresent(inconclusive, forKey: .inconclusive)
    }
}
