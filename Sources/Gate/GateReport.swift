package import CanaryJudge
import ContractCore
package import Consistency
package import Flows
package import Foundation
package import LoadEngine
package import ResponseParity
package import SLO
package import Verifier

/// Everything `tollgate gate` found for one rollout stage, and its one verdict. Schema
/// `tollgate.gate/v1`: `verdict.action` is `proceed`, `reduce`, `pause` or `rollback`, and
/// `triggers` lists each rollout trigger with its value, threshold and whether it was breached.
package struct GateReport: Sendable {
    package static let schema = "tollgate.gate/v1"

    /// What the gate did to the gateway's rollout.
    package struct Rollout: Sendable {
        package var before: Int?
        package var during: Int
        package var after: Int?
        /// `--auto-rollback` applied the verdict.
        package var applied: Bool
        package var note: String

        package init(before: Int?, during: Int, after: Int?, applied: Bool, note: String) {
            self.before = before
            self.during = during
            self.after = after
            self.applied = applied
            self.note = note
        }
    }

    /// One service-metric check: requests counted between the gate's start and the end of its load, errors among them.
    package struct MetricReading: Sendable, Codable, Equatable {
        package var name: String
        package var url: String
        package var requests: Double
        package var errors: Double
        package var errorPercent: Double

        package init(name: String, url: String, requests: Double, errors: Double, errorPercent: Double) {
            self.name = name
            self.url = url
            self.requests = requests
            self.errors = errors
            self.errorPercent = errorPercent
        }

        enum CodingKeys: String, CodingKey { case name, url, requests, errors, errorPercent = "error_percent" }
    }

    /// A PromQL trigger's measurements, as Prometheus answered them.
    package struct QueryReading: Sendable, Codable, Equatable {
        package struct Measurement: Sendable, Codable, Equatable {
            /// Seconds after the load began.
            package var at: Double
            package var value: Double?
            package var problem: String?

            package init(at: Double, value: Double?, problem: String?) {
                self.at = at
                self.value = value
                self.problem = problem
            }
        }

        package var name: String
        /// As the gate file writes it, and as it was sent (`${window}`, `${stage}` filled).
        package var query: String
        package var sent: String
        package var prometheus: String
        /// `result < 0.01`.
        package var condition: String
        package var measurements: [Measurement]
        package var failed: Int
        package var inconclusive: Int

        package init(name: String, query: String, sent: String, prometheus: String, condition: String, measurements: [Measurement], failed: Int, inconclusive: Int) {
            self.name = name
            self.query = query
            self.sent = sent
            self.prometheus = prometheus
            self.condition = condition
            self.measurements = measurements
            self.failed = failed
            self.inconclusive = inconclusive
        }
    }

    package var gate: String
    package var source: String
    package var target: String
    package var startedAt: Date
    package var seconds: Double
    package var rollout: Rollout
    package var verdict: GateVerdict
    package var triggers: [GateTrigger]
    package var verification: VerificationReport?
    package var flows: FlowReport?
    package var load: LoadResult?
    package var consistency: [(name: String, comparison: TableComparison)]
    package var metrics: [MetricReading] = []
    package var queries: [QueryReading] = []
    /// The canary judged against the baseline on the stage's load (`judge:`).
    package var judgement: Judgement?
    /// Why the judge did not run (one path only at this stage).
    package var judgeSkipped: String?
    /// Response parity (`parity:`).
    package var parity: ParityReport?
    /// Parts that could not run, in words (they count as breached triggers).
    package var problems: [String]
    /// Why the gate stopped early (Ctrl-C), if it did.
    package var abortedBecause: String?

    package init(gate: String, source: String, target: String, startedAt: Date, seconds: Double, rollout: Rollout, verdict: GateVerdict,
                triggers: [GateTrigger], verification: VerificationReport?, flows: FlowReport?, load: LoadResult?,
                consistency: [(name: String, comparison: TableComparison)], problems: [String], abortedBecause: String?) {
        self.gate = gate
        self.source = source
        self.target = target
        self.startedAt = startedAt
        self.seconds = seconds
        self.rollout = rollout
        self.verdict = verdict
        self.triggers = triggers
        self.verification = verification
        self.flows = flows
        self.load = load
        self.consistency = consistency
        self.problems = problems
        self.abortedBecause = abortedBecause
    }

    /// The verdict in a sentence: "roll back to 0 %".
    package var headline: String {
        switch verdict.action {
        case .proceed: return "proceed: stage \(verdict.stage) % holds"
        case .reduce: return "reduce traffic to \(verdict.rolloutPercent) %"
        case .pause: return "pause at \(verdict.stage) %"
        case .rollback: return "roll back to 0 %"
        }
    }
}
