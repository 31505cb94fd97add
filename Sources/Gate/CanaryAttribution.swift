package import CanaryJudge
import Foundation
package import LoadEngine
import LoadMetrics
package import SLO

/// Whom an absolute trigger's breach belongs to, under a canary split: a breach on both paths
/// alike, where the canary is no worse than the baseline, is the environment's (a busy machine
/// slows both) and asks for a pause only; on the canary alone, or with the canary worse, it keeps
/// its own action.
package struct CanaryAttribution: Sendable, Equatable {
    /// The objective's value on each path.
    package var baseline: Double
    package var canary: Double
    package var breachedOnBaseline: Bool
    package var breachedOnCanary: Bool
    /// The same metric compared by the judge.
    package var comparison: MetricJudgement
    /// The action the breach asks for after attribution.
    package var action: RolloutAction
    /// In words: both paths' figures and the judge's finding.
    package var evidence: String

    /// The attribution of a breached `slo` of `load`; nil when it cannot be split by path (no
    /// split figures, or an objective no path has its own value for).
    package static func attribute(_ slo: SLOResult, in load: LoadResult, judge: JudgeSettings) -> CanaryAttribution? {
        let objective = slo.objective
        guard !slo.passed, slo.inconclusive == nil, let before = load.metrics.byPath[.baseline], let after = load.metrics.byPath[.canary],
              let measure = measure(objective) else { return nil }
        let duration = load.run.durationSeconds
        let baselineResult = objective.evaluate(RunMetrics(path: before), duration: duration)
        let canaryResult = objective.evaluate(RunMetrics(path: after), duration: duration)
        // The judge's own tolerances for this metric when it lists it, else `tollgate judge`'s defaults.
        let listed = judge.metrics.first { $0.measure == measure }
        let metric = listed ?? JudgedMetric(name: objective.expression, measure: measure, direction: .increase, allowedIncrease: JudgeSettings.defaultAllowedIncrease,
                                            allowedShift: measure.isLatency ? JudgeSettings.defaultAllowedLatencyShift : nil)
        let comparison = CanaryJudge.judge(JudgeSettings(confidence: judge.confidence, minSamples: judge.minSamples, metrics: [metric]),
                                           baseline: before, canary: after).metrics[0]
        let both = !baselineResult.passed && baselineResult.inconclusive == nil && !canaryResult.passed && canaryResult.inconclusive == nil
        let environment = both && (comparison.classification == .pass || comparison.classification == .low)
        let figures = "baseline \(Self.text(baselineResult.value, objective.unit)), canary \(Self.text(canaryResult.value, objective.unit))"
        let evidence: String
        if environment {
            evidence = "breached on both paths alike (\(figures)) and the canary is no worse (\(comparison.reason)): the environment, not the canary — pause"
        } else if comparison.classification == .noData {
            evidence = "\(figures); \(comparison.reason)"
        } else {
            evidence = "\(figures); the judge: \(comparison.classification.rawValue), \(comparison.reason)"
        }
        return CanaryAttribution(baseline: baselineResult.value, canary: canaryResult.value, breachedOnBaseline: !baselineResult.passed,
                                 breachedOnCanary: !canaryResult.passed, comparison: comparison,
                                 action: environment ? TriggerKind.environment.defaultAction : objective.action, evidence: evidence)
    }

    /// The judge's measure for an objective's metric and scope; nil for the run-wide ones (rate, checks, dropped iterations).
    static func measure(_ objective: Objective) -> JudgedMeasure? {
        let group: RequestGroup
        switch objective.scope {
        case .all: group = .all
        case .name(let name): group = .name(name)
        case .tag(let tag): group = .tag(tag)
        }
        switch objective.metric {
        case .latency: return .latency(group)
        case .errorRate: return .errorRate(group)
        case .paymentFailureRate: return .paymentFailureRate
        case .rate, .checks, .droppedIterations: return nil
        }
    }

    static func text(_ value: Double, _ unit: String) -> String {
        unit == "ms" ? String(format: "%.0f ms", value) : String(format: "%.2f %@", value, unit)
    }
}
