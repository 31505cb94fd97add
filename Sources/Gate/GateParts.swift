package import CanaryJudge
package import Consistency
package import Flows
import Foundation
package import LoadEngine
import LoadMetrics
package import PactBroker
package import ResponseParity
package import SLO
package import Verifier

/// What each part of a gate produced, and the trigger policy that turns them into triggers:
/// pure, so it is tested without any process.
package struct GateParts: Sendable {
    package var verification: VerificationReport?
    package var flows: FlowReport?
    package var load: LoadResult?
    package var consistency: [(name: String, comparison: TableComparison)] = []
    package var metrics: [(check: GateFile.MetricCheck, reading: GateReport.MetricReading)] = []
    /// Each PromQL trigger with the query as sent, its measurements, and their judgement (made once).
    package var queries: [JudgedQuery] = []
    package var problems: [String] = []
    /// The gate file's `judge:`: absolute triggers are attributed by path, and the canary judged.
    package var judge: JudgeSettings?
    /// The canary judged against the baseline on the stage's load (nil: no judge, or no split at this stage).
    package var judgement: Judgement?
    /// Why the judge did not run at this stage (0 % or 100 %: one path only).
    package var judgeSkipped: String?
    /// Providers whose states the replay set on the live provider (no `verification_url`): said with the contract trigger.
    package var liveStateProviders: [String] = []
    /// Response parity, with the gate file's threshold and action.
    package var parity: (report: ParityReport, action: RolloutAction)?
    /// The broker's can-i-deploy for the versions the stage moves, and the environment asked about.
    package var deployment: (answer: DeploymentAnswer, environment: String)?

    /// Every trigger, with its evidence: the parts' own (contracts, flows, data) and the load's objectives.
    package init() {}

    package func triggers(inconsistencyThreshold: Double) -> [GateTrigger] {
        var triggers: [GateTrigger] = []
        if let verification {
            let failures = verification.failures
            triggers.append(GateTrigger(name: "contract failures", value: Double(failures.count), threshold: 0, unit: "", breached: !failures.isEmpty,
                                        action: TriggerKind.contracts.defaultAction, evidence: (failures.isEmpty ? "\(verification.results.count) interactions verified"
                                            : failures.prefix(5).map { "\($0.consumer) → \($0.provider): \($0.description)" }.joined(separator: "; "))
                                            + (liveStateProviders.isEmpty ? "" : "; provider states were written into the live \(liveStateProviders.joined(separator: ", ")) (give verification_url for an instance of its own)")))
        }
        if let (answer, environment) = deployment {
            let rows = answer.rows.filter { $0.status != .verified }.prefix(5).map { row in
                "\(row.consumer) \(row.consumerVersion) → \(row.provider) \(row.providerVersion ?? "(none in \(environment))"): \(row.reason)"
            } + answer.problems
            let evidence = answer.deployable ? "\(answer.rows.count) integrations verified for \(environment)" : rows.joined(separator: "; ")
            triggers.append(GateTrigger(name: "can-i-deploy", value: Double(answer.failed + answer.unknown), threshold: 0, unit: "", breached: !answer.deployable,
                                        action: TriggerKind.canIDeploy.defaultAction, evidence: evidence,
                                        inconclusive: answer.failed == 0 && answer.unknown > 0 ? "the broker knows of no verification for \(answer.unknown) integration(s): \(evidence)" : nil))
        }
        if let flows {
            let failed = flows.runs.filter { !$0.passed }
            triggers.append(GateTrigger(name: "flow failures", value: Double(failed.count), threshold: 0, unit: "", breached: !failed.isEmpty, action: TriggerKind.flows.defaultAction,
                                        evidence: failed.isEmpty ? "\(flows.runs.count) flow runs passed" : failed.prefix(5).map { run in
                                            let step = run.steps.first { $0.status == .failed }
                                            return "\(run.flow) #\(run.iteration): \(step?.failure ?? "\(step?.name ?? "a step"): a check failed")"
                                        }.joined(separator: "; ")))
        }
        if let load {
            for slo in load.slos {
                let expression = slo.objective.expression
                var trigger = GateTrigger(name: String(expression.prefix { $0 != "<" && $0 != ">" }), value: slo.value, threshold: slo.objective.threshold,
                                          unit: slo.objective.unit, breached: !slo.passed, action: slo.objective.action,
                                          evidence: Self.evidence(for: slo.objective, in: load), inconclusive: slo.inconclusive)
                if let judge, judgement != nil, let attribution = CanaryAttribution.attribute(slo, in: load, judge: judge) {
                    trigger.action = attribution.action
                    trigger.evidence += "; \(attribution.evidence)"
                }
                triggers.append(trigger)
            }
            if load.run.aborted {
                triggers.append(GateTrigger(name: "load completed", value: 0, threshold: 0, unit: "", breached: true, action: TriggerKind.loadCompleted.defaultAction,
                                            evidence: "the load stopped early: \(load.run.abortedBecause ?? "stopped")"))
            }
        }
        if let judgement {
            let failing = judgement.metrics.filter { !$0.passed && $0.classification != .noData }
            let missing = judgement.metrics.filter { $0.classification == .noData }
            let evidence = failing.isEmpty ? "\(judgement.metrics.count) metrics compared canary vs baseline: \(judgement.reason)"
                : failing.prefix(3).map { "\($0.name): \($0.classification.rawValue), \($0.reason)" }.joined(separator: "; ") + " — \(judgement.reason)"
            triggers.append(GateTrigger(name: "canary judge", value: judgement.score, threshold: judgement.passScore, unit: "",
                                        breached: judgement.action != .proceed,
                                        action: judgement.action == .proceed ? TriggerKind.canaryJudge.defaultAction : judgement.action, evidence: evidence,
                                        inconclusive: judgement.inconclusive && failing.isEmpty
                                            ? missing.prefix(3).map { "\($0.name): \($0.reason)" }.joined(separator: "; ") : nil))
        }
        if let (report, action) = parity {
            let worst = report.endpoints.max { $0.differingPercent < $1.differingPercent }
            let evidence = report.endpoints.filter { $0.differingPercent > report.threshold }.prefix(3).map { endpoint in
                "\(endpoint.pattern): \(endpoint.differing) of \(endpoint.requests) differ (" + endpoint.differences.prefix(2).map { "\($0.path): \($0.baseline ?? "absent") → \($0.candidate ?? "absent")" }.joined(separator: "; ") + ")"
            }.joined(separator: "; ")
            triggers.append(GateTrigger(name: "response parity", value: report.worstDifferingPercent, threshold: report.threshold, unit: "%",
                                        breached: !report.passed, action: action,
                                        evidence: evidence.isEmpty ? "\(report.compared) requests on \(report.endpoints.count) endpoints answered alike (worst \(worst?.pattern ?? "-"))" : evidence,
                                        inconclusive: report.compared == 0 ? "no request was answered by both paths: \(report.failures.first ?? "none sent")" : nil))
        }
        for (check, reading) in metrics {
            let selection = ([check.rate.counter] + check.rate.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                             + check.rate.matchers.map(\.description)).joined(separator: " ")
            triggers.append(GateTrigger(name: check.name, value: reading.errorPercent, threshold: check.threshold, unit: "%",
                                        breached: reading.errorPercent > check.threshold, action: check.action,
                                        evidence: String(format: "%.0f of %.0f requests (%@) answered %@ at %@", reading.errors, reading.requests,
                                                         selection, check.rate.errorSelection, check.url),
                                        inconclusive: reading.requests > 0 ? nil : "no requests (\(selection)) were counted at \(check.url) during the gate"))
        }
        for query in queries {
            let (check, judgement) = (query.check, query.judgement)
            triggers.append(GateTrigger(name: check.name, value: judgement.value.isFinite ? judgement.value : 0, threshold: check.threshold, unit: "",
                                        breached: judgement.breached, action: check.action, evidence: judgement.evidence,
                                        inconclusive: judgement.inconclusiveReason))
        }
        if !consistency.isEmpty {
            let worst = consistency.max { $0.comparison.inconsistencyPercent < $1.comparison.inconsistencyPercent }!
            triggers.append(GateTrigger(name: "data inconsistency", value: worst.comparison.inconsistencyPercent, threshold: inconsistencyThreshold, unit: "%",
                                        breached: worst.comparison.inconsistencyPercent > inconsistencyThreshold, action: TriggerKind.consistency.defaultAction,
                                        evidence: consistency.map { "\($0.name): \($0.comparison.summary)" }.joined(separator: "; ")))
        }
        if !problems.isEmpty {
            triggers.append(GateTrigger(name: "parts that could not run", value: Double(problems.count), threshold: 0, unit: "", breached: true, action: TriggerKind.partFailed.defaultAction,
                                        evidence: problems.joined(separator: "; ")))
        }
        // A gate with nothing to judge (no objective, metric, query, contract, flow or table) has no evidence: never a pass.
        if triggers.isEmpty {
            triggers.append(GateTrigger(name: "evidence", value: 0, threshold: 0, unit: "", breached: false, action: TriggerKind.noEvidence.defaultAction,
                                        evidence: "no trigger: the gate file names no slos, metrics, queries, contracts, flows or consistency checks",
                                        inconclusive: "the gate judged nothing"))
        }
        return triggers
    }
}

extension GateParts {
    /// What a load objective's value is made of: the slowest requests for latency, the error
    /// classes (with an example each) for rates.
    static func evidence(for objective: Objective, in load: LoadResult) -> String {
        let metrics = load.metrics
        let run = "load \(load.run.profile): \(metrics.total.requests) requests, \(metrics.total.errors) errors in \(Int(load.run.durationSeconds.rounded())) s"
        switch objective.metric {
        case .latency(let percentile):
            let slowest = metrics.byName.map { ($0.key, $0.value.latency.milliseconds(atPercentile: percentile)) }.sorted { $0.1 > $1.1 }.prefix(3)
            return run + "; slowest: " + slowest.map { String(format: "%@ %.0f ms", $0.0, $0.1) }.joined(separator: ", ")
        case .paymentFailureRate:
            let payments = metrics.byTag[Objective.paymentTag] ?? RequestStats()
            return run + "; payments: \(payments.requests), failed \(payments.errors - payments.unanswered), unknown (no answer) \(payments.unanswered)"
        case .errorRate:
            let classes = metrics.errors.sorted { $0.value.count > $1.value.count }.prefix(3)
            guard !classes.isEmpty else { return run }
            return run + "; " + classes.map { "\($0.key.rawValue) \($0.value.count)\($0.value.examples.first.map { " (e.g. \($0))" } ?? "")" }.joined(separator: ", ")
        default:
            return run
        }
    }
}
