/// One service-level objective: `p95<500ms`, `error_rate<1%:rollback`, `p99{name=checkout}<800ms`,
/// `payment_failure_rate<0.1%`, `rate>100`, `checks>99%`, `dropped_iterations<=0`.
package struct Objective: Sendable, Equatable, Codable {
    package enum Metric: Sendable, Equatable, Codable {
        /// A latency percentile (0–100; 100 is the maximum).
        case latency(percentile: Double)
        case errorRate
        case paymentFailureRate
        case rate
        case checks
        case droppedIterations

        var name: String {
            switch self {
            case .latency(let p): return p == 100 ? "max" : "p" + Objective.number(p)
            case .errorRate: return "error_rate"
            case .paymentFailureRate: return "payment_failure_rate"
            case .rate: return "rate"
            case .checks: return "checks"
            case .droppedIterations: return "dropped_iterations"
            }
        }
    }

    /// Which requests a latency or error-rate objective looks at.
    package enum Scope: Sendable, Equatable, Codable {
        case all
        case name(String)
        case tag(String)
    }

    package enum Comparison: String, Sendable, Codable { case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=" }

    package var metric: Metric
    package var scope: Scope
    package var comparison: Comparison
    /// In the metric's unit: milliseconds, percent, requests per second, or a count.
    package var threshold: Double
    package var action: RolloutAction
    /// Stop the run early when this objective stays breached for `abortAfter` seconds.
    package var abortOnFail = false
    package var abortAfter: Double = 0

    package init(metric: Metric, scope: Scope = .all, comparison: Comparison, threshold: Double, action: RolloutAction) {
        self.metric = metric
        self.scope = scope
        self.comparison = comparison
        self.threshold = threshold
        self.action = action
    }

    /// The migration guide's rollback triggers: error rate > 1 % → roll back, p95 > 500 ms →
    /// reduce traffic, payment failures > 0.1 % → roll back.
    package static let rolloutDefaults: [Objective] = [
        Objective(metric: .errorRate, comparison: .lessOrEqual, threshold: 1, action: .rollback),
        Objective(metric: .latency(percentile: 95), comparison: .lessOrEqual, threshold: 500, action: .reduce),
        Objective(metric: .paymentFailureRate, comparison: .lessOrEqual, threshold: 0.1, action: .rollback),
    ]

    /// The expression as it is written back: `p95{name=checkout}<500ms:reduce`.
    package var expression: String {
        var text = metric.name
        switch scope {
        case .all: break
        case .name(let name): text += "{name=\(name)}"
        case .tag(let tag): text += "{tag=\(tag)}"
        }
        return text + comparison.rawValue + Self.number(threshold) + unit + ":" + action.rawValue
    }

    /// The unit thresholds and values are given in.
    package var unit: String {
        switch metric {
        case .latency: return "ms"
        case .errorRate, .paymentFailureRate, .checks: return "%"
        case .rate: return "/s"
        case .droppedIterations: return ""
        }
    }

    /// Whether `value` meets the objective.
    package func holds(for value: Double) -> Bool {
        switch comparison {
        case .less: return value < threshold
        case .lessOrEqual: return value <= threshold
        case .greater: return value > threshold
        case .greaterOrEqual: return value >= threshold
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
