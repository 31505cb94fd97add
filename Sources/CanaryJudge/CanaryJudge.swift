import Foundation
package import LoadMetrics
import SLO

/// Judges a canary's measurements against a baseline's taken at the same time, as Kayenta does:
/// each metric tested for a significant difference beyond its tolerance, then a score.
package enum CanaryJudge {
    /// Compares `canary` with `baseline` on every metric of `settings`; `series` holds each
    /// PromQL pair's values by metric name (fetched by the caller), or why there are none.
    package static func judge(_ settings: JudgeSettings, baseline: PathMetrics, canary: PathMetrics,
                              series: [String: Result<(baseline: [Double], canary: [Double]), SeriesUnavailable>] = [:]) -> Judgement {
        let metrics = settings.metrics.map { metric -> MetricJudgement in
            guard case .queryPair(let before, let after, _) = metric.measure else { return judge(metric, settings: settings, baseline: baseline, canary: canary) }
            let measure = "baseline_query \(before) / canary_query \(after)"
            switch series[metric.name] ?? .failure(SeriesUnavailable(reason: "the queries were not run (no Prometheus for this judgement)")) {
            case .success(let values):
                var judged = judgeLatency(metric, settings: settings, baseline: WeightedSample(values.baseline), canary: WeightedSample(values.canary), measure: measure)
                judged.kind = "series"
                return judged
            case .failure(let unavailable):
                var judged = judgeLatency(metric, settings: settings, baseline: WeightedSample([]), canary: WeightedSample([]), measure: measure, absent: unavailable.reason)
                judged.kind = "series"
                return judged
            }
        }
        return conclude(metrics, settings: settings)
    }

    /// Why a PromQL pair has no values to compare.
    package struct SeriesUnavailable: Error, Sendable {
        package let reason: String
        package init(reason: String) { self.reason = reason }
    }

    /// The score and the action from judged metrics.
    package static func conclude(_ metrics: [MetricJudgement], settings: JudgeSettings) -> Judgement {
        let scored = metrics.filter { $0.classification != .noData && $0.action == nil && !$0.critical }
        let weight = scored.reduce(0) { $0 + $1.weight }
        let score = weight == 0 ? 100 : 100 * scored.filter(\.passed).reduce(0) { $0 + $1.weight } / weight
        var action: RolloutAction = score >= settings.passScore ? .proceed : score >= settings.marginalScore ? .pause : .rollback
        var reason = score >= settings.passScore ? "score \(Self.text(score)) ≥ \(Self.text(settings.passScore))"
            : score >= settings.marginalScore ? "marginal: score \(Self.text(score)) below \(Self.text(settings.passScore))"
            : "score \(Self.text(score)) below \(Self.text(settings.marginalScore))"
        for metric in metrics where !metric.passed && metric.classification != .noData {
            let asked = metric.action ?? (metric.critical ? .rollback : action)
            if asked > action || (metric.critical && asked == action) {
                action = asked
                reason = metric.critical ? "critical metric '\(metric.name)' failed" : "'\(metric.name)' failed and asks to \(asked.phrase)"
            }
        }
        let missing = metrics.filter { $0.classification == .noData }
        if !missing.isEmpty, action < .pause {
            action = .pause
            reason = "inconclusive: \(missing.count == 1 ? "'\(missing[0].name)' has" : "\(missing.count) metrics have") too few observations"
        }
        return Judgement(metrics: metrics, score: score, passScore: settings.passScore, marginalScore: settings.marginalScore,
                         confidence: settings.confidence, minSamples: settings.minSamples, inconclusive: !missing.isEmpty,
                         passed: action == .proceed && missing.isEmpty, action: action, reason: reason)
    }

    static func judge(_ metric: JudgedMetric, settings: JudgeSettings, baseline: PathMetrics, canary: PathMetrics) -> MetricJudgement {
        switch metric.measure {
        case .latency(let group):
            let before = stats(group, baseline), after = stats(group, canary)
            return judgeLatency(metric, settings: settings, baseline: WeightedSample(before?.latency ?? LatencyHistogram()),
                                canary: WeightedSample(after?.latency ?? LatencyHistogram()), measure: "latency \(group)",
                                absent: before == nil && after == nil ? "no request is \(group.describedAsMember)" : nil)
        case .errorRate(let group):
            let before = stats(group, baseline), after = stats(group, canary)
            return rate(metric, settings: settings, measure: "error_rate \(group)",
                        baseline: (before?.errors ?? 0, before?.requests ?? 0), canary: (after?.errors ?? 0, after?.requests ?? 0),
                        missing: before == nil && after == nil ? "no request is \(group.describedAsMember)" : nil)
        case .paymentFailureRate:
            let tag = Objective.paymentTag
            let before = baseline.byTag[tag], after = canary.byTag[tag]
            func failures(_ stats: RequestStats?) -> (Int, Int) { (stats.map { $0.errors - $0.unanswered } ?? 0, stats?.answered ?? 0) }
            return rate(metric, settings: settings, measure: "payment_failure_rate", baseline: failures(before), canary: failures(after),
                        missing: before == nil && after == nil ? "no request is tagged '\(tag)'" : nil)
        case .queryPair(let before, let after, _):
            var judged = judgeLatency(metric, settings: settings, baseline: WeightedSample([]), canary: WeightedSample([]),
                                      measure: "baseline_query \(before) / canary_query \(after)", absent: "the queries were not run (no Prometheus for this judgement)")
            judged.kind = "series"
            return judged
        case .checkPassRate(let check):
            let before = baseline.checks[check], after = canary.checks[check]
            func passes(_ tally: CheckTally?) -> (Int, Int) { (tally?.passed ?? 0, (tally?.passed ?? 0) + (tally?.failed ?? 0)) }
            return rate(metric, settings: settings, measure: "check_pass_rate \(check)", baseline: passes(before), canary: passes(after),
                        missing: before == nil && after == nil ? "no check is named '\(check)'" : nil)
        }
    }

    private static func stats(_ group: RequestGroup, _ metrics: PathMetrics) -> RequestStats? {
        switch group {
        case .all: return metrics.total
        case .name(let name): return metrics.byName[name]
        case .tag(let tag): return metrics.byTag[tag]
        }
    }

    /// One latency metric from the two paths' distributions; `absent` says why there is no data at all.
    package static func judgeLatency(_ metric: JudgedMetric, settings: JudgeSettings, baseline: WeightedSample, canary: WeightedSample,
                                     measure: String = "latency", absent: String? = nil) -> MetricJudgement {
        var judged = MetricJudgement(name: metric.name, kind: "latency", measure: measure, direction: metric.direction,
                                     baseline: PathFigures(samples: baseline.total, value: baseline.median), canary: PathFigures(samples: canary.total, value: canary.median),
                                     shift: 0, interval: nil, pValue: 1, test: "mann-whitney-u", tolerance: 0, classification: .noData, passed: false,
                                     critical: metric.critical, weight: metric.weight, action: metric.action, reason: "",
                                     baselineQuantiles: quantiles(baseline), canaryQuantiles: quantiles(canary))
        if let missing = tooFew(baseline.total, canary.total, settings, absent: absent) {
            judged.reason = missing
            return judged
        }
        let test = RankSumTest(canary: canary, baseline: baseline, confidence: settings.confidence)
        judged.shift = test.shift
        judged.interval = [test.shiftInterval.lowerBound, test.shiftInterval.upperBound]
        judged.pValue = test.pValue
        classify(&judged, metric, settings: settings, baselineValue: baseline.median, unit: metric.measure.isQueryPair ? "series" : "ms")
        return judged
    }

    private static func rate(_ metric: JudgedMetric, settings: JudgeSettings, measure: String, baseline: (events: Int, trials: Int),
                             canary: (events: Int, trials: Int), missing: String?) -> MetricJudgement {
        let baselineRate = baseline.trials == 0 ? 0 : Double(baseline.events) / Double(baseline.trials)
        let canaryRate = canary.trials == 0 ? 0 : Double(canary.events) / Double(canary.trials)
        var judged = MetricJudgement(name: metric.name, kind: "rate", measure: measure, direction: metric.direction,
                                     baseline: PathFigures(samples: baseline.trials, value: baselineRate, events: baseline.events),
                                     canary: PathFigures(samples: canary.trials, value: canaryRate, events: canary.events),
                                     shift: canaryRate - baselineRate, interval: nil, pValue: 1, test: "", tolerance: 0, classification: .noData,
                                     passed: false, critical: metric.critical, weight: metric.weight, action: metric.action, reason: "")
        if let reason = tooFew(baseline.trials, canary.trials, settings, absent: missing) {
            judged.reason = reason
            return judged
        }
        let test = ProportionTest(canaryEvents: canary.events, canaryTrials: canary.trials, baselineEvents: baseline.events, baselineTrials: baseline.trials)
        judged.test = test.method.rawValue
        judged.pValue = test.pValue
        classify(&judged, metric, settings: settings, baselineValue: baselineRate, unit: "")
        return judged
    }

    private static func tooFew(_ baseline: Int, _ canary: Int, _ settings: JudgeSettings, absent: String?) -> String? {
        if let absent { return "no data: \(absent)" }
        guard min(baseline, canary) < settings.minSamples else { return nil }
        return "no data: \(baseline) baseline and \(canary) canary observations, at least \(settings.minSamples) needed on each path"
    }

    /// Pass, High or Low: significant, and beyond every tolerance given.
    private static func classify(_ judged: inout MetricJudgement, _ metric: JudgedMetric, settings: JudgeSettings, baselineValue: Double, unit: String) {
        let tolerance = max(metric.allowedIncrease.map { $0 * abs(baselineValue) } ?? 0, metric.allowedShift ?? 0)
        judged.tolerance = tolerance
        let significant = judged.pValue < 1 - settings.confidence
        let shift = judged.shift
        judged.classification = significant && abs(shift) > tolerance ? (shift > 0 ? .high : .low) : .pass
        switch (judged.classification, metric.direction) {
        case (.high, .increase), (.high, .either), (.low, .decrease), (.low, .either): judged.passed = false
        default: judged.passed = true
        }
        let shown = unit == "ms" ? "\(text(abs(shift))) ms" : unit == "series" ? String(format: "%.4g", abs(shift)) : "\(text(abs(shift) * 100)) points"
        let allowed = unit == "ms" ? "\(text(tolerance)) ms" : unit == "series" ? String(format: "%.4g", tolerance) : "\(text(tolerance * 100)) points"
        switch judged.classification {
        case .pass where !significant: judged.reason = "no significant difference (\(pText(judged.pValue)))"
        case .pass: judged.reason = "a significant shift of \(shown) within the \(allowed) allowed"
        default:
            let way = judged.classification == .high ? "higher" : "lower"
            judged.reason = "canary \(way) by \(shown) (\(pText(judged.pValue))), beyond the \(allowed) allowed\(judged.passed ? ", in the harmless direction" : "")"
        }
    }

    private static func quantiles(_ sample: WeightedSample) -> [Double]? {
        guard sample.total > 0 else { return nil }
        return JudgementQuantiles.levels.map { sample.value(atRank: max(1, Int((Double(sample.total) * $0).rounded(.up)))) }
    }

    static func text(_ value: Double) -> String {
        guard abs(value) < 1e12 else { return "\(value)" }
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func pText(_ p: Double) -> String { p < 0.0001 ? "p < 0.0001" : "p = \(String((p * 10_000).rounded() / 10_000))" }
}

extension RequestGroup {
    /// "named 'get product'", "tagged 'cart'", or "made" for all.
    var describedAsMember: String {
        switch self {
        case .all: return "made"
        case .name(let name): return "named '\(name)'"
        case .tag(let tag): return "tagged '\(tag)'"
        }
    }
}

extension JudgeSettings {
    /// The metrics that name a request, tag or check found in none of `results`, by position, each
    /// with what is missing: a judge file's mistake, said before anything is judged.
    package func absentMeasures(in results: [PathMetrics]) -> [(index: Int, reason: String)] {
        metrics.enumerated().compactMap { index, metric in
            switch metric.measure {
            case .latency(.all), .errorRate(.all), .paymentFailureRate, .queryPair: return nil
            case .latency(.name(let name)), .errorRate(.name(let name)):
                return results.contains { $0.byName[name] != nil } ? nil : (index, "no request is named '\(name)' in either result")
            case .latency(.tag(let tag)), .errorRate(.tag(let tag)):
                return results.contains { $0.byTag[tag] != nil } ? nil : (index, "no request is tagged '\(tag)' in either result")
            case .checkPassRate(let check):
                return results.contains { $0.checks[check] != nil } ? nil : (index, "no check is named '\(check)' in either result")
            }
        }
    }
}
