import LoadMetrics

/// An objective with the value measured and whether it held.
public struct SLOResult: Sendable, Equatable {
    public var objective: Objective
    /// In the objective's unit (milliseconds, percent, per second, count).
    public var value: Double
    public var passed: Bool

    public init(objective: Objective, value: Double, passed: Bool) {
        self.objective = objective
        self.value = value
        self.passed = passed
    }
}

extension Objective {
    /// The objective's value in `metrics` of a run that lasted `duration` seconds; a group with
    /// no requests measures 0.
    public func value(in metrics: RunMetrics, duration: Double) -> Double {
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
        case .paymentFailureRate: return (metrics.byTag[Self.paymentTag]?.errorRate ?? 0) * 100
        case .rate: return duration > 0 ? Double(metrics.total.requests) / duration : 0
        case .checks: return metrics.checkPassRate * 100
        case .droppedIterations: return Double(metrics.droppedIterations)
        }
    }

    /// Requests tagged this count toward `payment_failure_rate`.
    public static let paymentTag = "payment"

    public func evaluate(_ metrics: RunMetrics, duration: Double) -> SLOResult {
        let value = value(in: metrics, duration: duration)
        return SLOResult(objective: self, value: value, passed: holds(for: value))
    }
}

extension SLOResult: Codable {
    private enum Keys: String, CodingKey { case expression, value, unit, threshold, passed, action }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        objective = try Objective(parsing: try c.decode(String.self, forKey: .expression))
        value = try c.decode(Double.self, forKey: .value)
        passed = try c.decode(Bool.self, forKey: .passed)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(objective.expression, forKey: .expression)
        try c.encode(value, forKey: .value)
        try c.encode(objective.unit, forKey: .unit)
        try c.encode(objective.threshold, forKey: .threshold)
        try c.encode(passed, forKey: .passed)
        try c.encode(objective.action, forKey: .action)
    }
}
