import Foundation

/// Why an objective expression could not be read.
package struct ObjectiveError: Error, Equatable, CustomStringConvertible {
    package let expression: String
    package let reason: String

    package var description: String { "'\(expression)': \(reason)" }
}

extension Objective {
    /// Reads `METRIC[{name=N|tag=T}] (<|<=|>|>=) VALUE[UNIT][:ACTION]`; without an action a breach rolls back.
    package init(parsing text: String) throws {
        func fail(_ reason: String) -> ObjectiveError { ObjectiveError(expression: text, reason: reason) }
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { throw fail("an objective is empty") }

        var action = TriggerKind.objective.defaultAction
        if let colon = rest.lastIndex(of: ":") {
            let word = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard let parsed = RolloutAction(rawValue: word) else {
                throw fail("unknown action '\(word)' (proceed, reduce, pause, rollback)")
            }
            action = parsed
            rest = rest[..<colon]
        }
        guard let operatorStart = rest.firstIndex(where: { $0 == "<" || $0 == ">" }) else {
            throw fail("no comparison: write e.g. p95<500ms, error_rate<1%, rate>100")
        }
        var left = rest[..<operatorStart].trimmingCharacters(in: .whitespaces)
        var right = rest[operatorStart...]
        let comparison: Comparison
        if right.hasPrefix("<=") { comparison = .lessOrEqual; right = right.dropFirst(2) }
        else if right.hasPrefix(">=") { comparison = .greaterOrEqual; right = right.dropFirst(2) }
        else if right.hasPrefix("<") { comparison = .less; right = right.dropFirst() }
        else { comparison = .greater; right = right.dropFirst() }

        var scope = Scope.all
        if let brace = left.firstIndex(of: "{") {
            guard left.hasSuffix("}") else { throw fail("a scope is written {name=NAME} or {tag=TAG}") }
            let inside = left[left.index(after: brace)..<left.index(before: left.endIndex)]
            let parts = inside.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else { throw fail("a scope is written {name=NAME} or {tag=TAG}") }
            switch parts[0] {
            case "name": scope = .name(parts[1])
            case "tag": scope = .tag(parts[1])
            default: throw fail("unknown scope '\(parts[0])' (name, tag)")
            }
            left = String(left[..<brace])
        }

        let metric: Metric
        switch left {
        case "max": metric = .latency(percentile: 100)
        case "error_rate": metric = .errorRate
        case "payment_failure_rate": metric = .paymentFailureRate
        case "rate": metric = .rate
        case "checks": metric = .checks
        case "dropped_iterations": metric = .droppedIterations
        default:
            guard left.hasPrefix("p"), let percentile = Double(left.dropFirst()), percentile > 0, percentile < 100 else {
                throw fail("unknown metric '\(left)' (p50, p90, p95, p99, p99.9, max, error_rate, payment_failure_rate, rate, checks, dropped_iterations)")
            }
            metric = .latency(percentile: percentile)
        }
        if scope != .all {
            switch metric {
            case .latency, .errorRate: break
            default: throw fail("only latency and error_rate objectives take a {name=…} or {tag=…} scope")
            }
        }

        let threshold = try Self.threshold(String(right).trimmingCharacters(in: .whitespaces), for: metric, fail: fail)
        self.init(metric: metric, scope: scope, comparison: comparison, threshold: threshold, action: action)
    }

    private static func threshold(_ text: String, for metric: Metric, fail: (String) -> ObjectiveError) throws -> Double {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, let number = Double(digits), number.isFinite else { throw fail("'\(text)' is not a number") }
        switch metric {
        case .latency:
            let factors: [String: Double] = ["": 1, "ms": 1, "us": 0.001, "µs": 0.001, "s": 1000, "m": 60_000]
            guard let factor = factors[unit] else { throw fail("unknown duration unit '\(unit)' (us, ms, s, m)") }
            return number * factor
        case .errorRate, .paymentFailureRate, .checks:
            guard unit.isEmpty || unit == "%" else { throw fail("a rate is a percentage, e.g. 1% (found '\(unit)')") }
            guard number <= 100 else { throw fail("a percentage is at most 100") }
            return number
        case .rate:
            guard unit.isEmpty || unit == "/s" else { throw fail("a rate is requests per second, e.g. 100 or 100/s (found '\(unit)')") }
            return number
        case .droppedIterations:
            guard unit.isEmpty, number == number.rounded() else { throw fail("dropped_iterations takes a whole number") }
            return number
        }
    }
}
