import Foundation
package import CanaryJudge
import SLO
package import Yams

/// `judge:` as gate files and `tollgate judge --judge FILE` write it:
///
///     judge:
///       confidence: 0.98          # each test's, in (0.5, 1)
///       min_samples: 50           # per path; fewer is NoData: inconclusive, a pause
///       pass_score: 95
///       marginal_score: 75
///       metrics:
///         - latency: get product  # a request name, tag:NAME, or all
///           allowed_increase: 10%
///           allowed_shift: 20ms
///         - error_rate: all
///           critical: true
///         - payment_failure_rate: true
///         - check_pass_rate: status is 200
extension NodeReader {
    static let judgeFields: Set<String> = ["confidence", "min_samples", "pass_score", "marginal_score", "metrics"]
    static let metricKinds = ["latency", "error_rate", "payment_failure_rate", "check_pass_rate", "baseline_query"]
    static let metricFields: Set<String> = Set(metricKinds + ["canary_query", "step", "name", "direction", "allowed_increase", "allowed_shift", "critical", "weight", "action"])

    package mutating func judgeSettings(_ node: Node?, _ field: String = "judge") -> JudgeSettings? {
        guard let entries = mapping(node, field, allowed: Self.judgeFields) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var settings = JudgeSettings(metrics: [])
        if let node = fields["confidence"], let confidence = number(node, "\(field).confidence", in: 0...1) {
            if confidence > 0.5 && confidence < 1 { settings.confidence = confidence } else { problem(node, "\(field).confidence", "must be above 0.5 and below 1, found \(confidence)") }
        }
        settings.minSamples = integer(fields["min_samples"], "\(field).min_samples", in: 1...1_000_000_000) ?? settings.minSamples
        settings.passScore = number(fields["pass_score"], "\(field).pass_score", in: 0...100) ?? settings.passScore
        settings.marginalScore = number(fields["marginal_score"], "\(field).marginal_score", in: 0...100) ?? settings.marginalScore
        if settings.marginalScore > settings.passScore {
            problem(fields["marginal_score"] ?? node, "\(field).marginal_score", "must not be above pass_score (\(settings.passScore))")
        }
        guard let items = sequence(fields["metrics"], "\(field).metrics") else {
            problem(node, "\(field).metrics", "list the metrics to compare (latency, error_rate, payment_failure_rate, check_pass_rate)")
            return nil
        }
        if items.isEmpty { problem(fields["metrics"], "\(field).metrics", "list at least one metric") }
        for (index, item) in items.enumerated() {
            if let metric = judgedMetric(item, "\(field).metrics[\(index)]", index: index) { settings.metrics.append(metric) }
        }
        let names = settings.metrics.map(\.name)
        for name in Set(names) where names.filter({ $0 == name }).count > 1 {
            problem(fields["metrics"], "\(field).metrics", "two metrics are named '\(name)': give each a distinct name")
        }
        return settings
    }

    private mutating func judgedMetric(_ item: Node, _ here: String, index: Int) -> JudgedMetric? {
        guard let entries = mapping(item, here, allowed: Self.metricFields) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let kinds = Self.metricKinds.filter { fields[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            problem(item, here, kinds.isEmpty ? "name what to compare: one of \(Self.metricKinds.joined(separator: ", "))"
                                              : "one measure per metric, found \(kinds.joined(separator: " and "))")
            return nil
        }
        let measure: JudgedMeasure
        switch kind {
        case "latency", "error_rate":
            guard let text = string(fields[kind], "\(here).\(kind)"), !text.isEmpty, text != "tag:" else {
                problem(fields[kind], "\(here).\(kind)", "a request name, tag:NAME, or all")
                return nil
            }
            measure = kind == "latency" ? .latency(RequestGroup(text)) : .errorRate(RequestGroup(text))
        case "payment_failure_rate":
            guard bool(fields[kind], "\(here).\(kind)") == true else { return nil }
            measure = .paymentFailureRate
        case "baseline_query":
            // A PromQL pair: the same quantity on each path, ${window} and ${stage} filled as in metrics: queries.
            guard let before = string(fields[kind], "\(here).baseline_query"), !before.isEmpty,
                  let after = fields["canary_query"].flatMap({ string($0, "\(here).canary_query") }), !after.isEmpty else {
                problem(fields["canary_query"] ?? item, "\(here).canary_query", "a PromQL pair needs both baseline_query and canary_query")
                return nil
            }
            let step = fields["step"].flatMap { duration($0, "\(here).step") } ?? 5
            if !(1...3600).contains(step) { problem(fields["step"], "\(here).step", "must be from 1s to 1h") }
            measure = .queryPair(baseline: before, canary: after, step: step)
        default:
            guard let check = string(fields[kind], "\(here).\(kind)"), !check.isEmpty else { return nil }
            measure = .checkPassRate(check)
        }
        if !measure.isQueryPair, fields["canary_query"] != nil || fields["step"] != nil {
            problem(fields["canary_query"] ?? fields["step"], here, "canary_query and step belong with baseline_query")
        }
        let direction: JudgeDirection
        if let node = fields["direction"] {
            guard let text = string(node, "\(here).direction"), let parsed = JudgeDirection(rawValue: text) else {
                problem(node, "\(here).direction", "must be increase, decrease or either")
                return nil
            }
            direction = parsed
        } else {
            direction = kind == "check_pass_rate" ? .decrease : .increase
        }
        let allowedIncrease = fields["allowed_increase"].flatMap { percentage($0, "\(here).allowed_increase") }
        var allowedShift: Double?
        if let node = fields["allowed_shift"] {
            if measure.isQueryPair {
                allowedShift = number(node, "\(here).allowed_shift", in: 0...Double.greatestFiniteMagnitude)
            } else if measure.isLatency {
                allowedShift = duration(node, "\(here).allowed_shift").map { $0 * 1000 }
            } else {
                allowedShift = percentage(node, "\(here).allowed_shift")
            }
        }
        var action: RolloutAction?
        if let node = fields["action"] {
            let text = string(node, "\(here).action") ?? ""
            action = RolloutAction(rawValue: text == "roll back" ? "rollback" : text)
            if action == nil { problem(node, "\(here).action", "must be proceed, reduce, pause or rollback, found '\(text)'") }
        }
        let defaultName = measure.isQueryPair ? "query \(index)" : "\(kind.replacingOccurrences(of: "_", with: " "))\(measure.groupText.map { " \($0)" } ?? "")"
        return JudgedMetric(name: string(fields["name"], "\(here).name") ?? defaultName, measure: measure, direction: direction,
                            allowedIncrease: allowedIncrease, allowedShift: allowedShift,
                            critical: fields["critical"].flatMap { bool($0, "\(here).critical") } ?? false,
                            weight: number(fields["weight"], "\(here).weight", in: 0...1_000_000) ?? 1, action: action)
    }

    /// `10%` as 0.1: a percentage from 0 % to 10,000 %, the % sign required.
    private mutating func percentage(_ node: Node, _ field: String) -> Double? {
        guard case .scalar = node, let text = node.string, text.hasSuffix("%"), let value = Double(text.dropLast().trimmingCharacters(in: .whitespaces)),
              value.isFinite else {
            problem(node, field, "expected a percentage such as 10% or 0.5%")
            return nil
        }
        guard (0...10_000).contains(value) else {
            problem(node, field, "must be from 0% to 10000%, found \(text)")
            return nil
        }
        return value / 100
    }
}

extension JudgedMeasure {
    /// The request group or check named, as written.
    var groupText: String? {
        switch self {
        case .latency(let group), .errorRate(let group): return group.description
        case .paymentFailureRate, .queryPair: return nil
        case .checkPassRate(let check): return check
        }
    }
}

/// A judge file (`tollgate judge --judge FILE`): a top-level `judge:` section, as in a gate file.
package enum JudgeFileLoader {
    package static func load(_ file: String, environment: [String: String]) throws -> JudgeSettings {
        var reader = NodeReader(file: file)
        let (root, values) = try reader.document(try NodeReader.readText(file), environment: environment, allowed: ["judge"], empty: "the file is empty: write a judge: section")
        let settings = reader.judgeSettings(values["judge"] ?? root)
        guard reader.problems.isEmpty, let settings else { throw FileProblems(problems: reader.problems) }
        return settings
    }
}
