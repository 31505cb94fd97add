import ContractCore
import Consistency
import Flows
import Foundation
import LoadEngine
import SLO
import Verifier

/// Everything `tollgate gate` found for one rollout stage, and its one verdict. Schema
/// `tollgate.gate/v1`: `verdict.action` is `proceed`, `reduce`, `pause` or `rollback`, and
/// `triggers` lists each rollout trigger with its value, threshold and whether it was breached.
public struct GateReport: Sendable {
    public static let schema = "tollgate.gate/v1"

    /// What the gate did to the gateway's rollout.
    public struct Rollout: Sendable {
        public var before: Int?
        public var during: Int
        public var after: Int?
        /// `--auto-rollback` applied the verdict.
        public var applied: Bool
        public var note: String

        public init(before: Int?, during: Int, after: Int?, applied: Bool, note: String) {
            self.before = before
            self.during = during
            self.after = after
            self.applied = applied
            self.note = note
        }
    }

    /// One service-metric check: requests counted between the gate's start and the end of its load, errors among them.
    public struct MetricReading: Sendable, Codable, Equatable {
        public var name: String
        public var url: String
        public var requests: Double
        public var errors: Double
        public var errorPercent: Double

        public init(name: String, url: String, requests: Double, errors: Double, errorPercent: Double) {
            self.name = name
            self.url = url
            self.requests = requests
            self.errors = errors
            self.errorPercent = errorPercent
        }

        enum CodingKeys: String, CodingKey { case name, url, requests, errors, errorPercent = "error_percent" }
    }

    /// A PromQL trigger's measurements, as Prometheus answered them.
    public struct QueryReading: Sendable, Codable, Equatable {
        public struct Measurement: Sendable, Codable, Equatable {
            /// Seconds after the load began.
            public var at: Double
            public var value: Double?
            public var problem: String?

            public init(at: Double, value: Double?, problem: String?) {
                self.at = at
                self.value = value
                self.problem = problem
            }
        }

        public var name: String
        /// As the gate file writes it, and as it was sent (`${window}`, `${stage}` filled).
        public var query: String
        public var sent: String
        public var prometheus: String
        /// `result < 0.01`.
        public var condition: String
        public var measurements: [Measurement]
        public var failed: Int
        public var inconclusive: Int

        public init(name: String, query: String, sent: String, prometheus: String, condition: String, measurements: [Measurement], failed: Int, inconclusive: Int) {
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

    public var gate: String
    public var source: String
    public var target: String
    public var startedAt: Date
    public var seconds: Double
    public var rollout: Rollout
    public var verdict: GateVerdict
    public var triggers: [GateTrigger]
    public var verification: VerificationReport?
    public var flows: FlowReport?
    public var load: LoadResult?
    public var consistency: [(name: String, comparison: TableComparison)]
    public var metrics: [MetricReading] = []
    public var queries: [QueryReading] = []
    /// Parts that could not run, in words (they count as breached triggers).
    public var problems: [String]
    /// Why the gate stopped early (Ctrl-C), if it did.
    public var abortedBecause: String?

    public init(gate: String, source: String, target: String, startedAt: Date, seconds: Double, rollout: Rollout, verdict: GateVerdict,
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
    public var headline: String {
        switch verdict.action {
        case .proceed: return "proceed: stage \(verdict.stage) % holds"
        case .reduce: return "reduce traffic to \(verdict.rolloutPercent) %"
        case .pause: return "pause at \(verdict.stage) %"
        case .rollback: return "roll back to 0 %"
        }
    }
}
