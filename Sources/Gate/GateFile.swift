import Foundation
import SLO
import Steps

/// What `tollgate gate` checks before a rollout stage (a YAML file; see `loadprofiles/README.md`).
public struct GateFile: Sendable {
    /// The gateway whose rollout is moved, and how to get an admin token for it.
    public struct Gateway: Sendable {
        public var url: String
        /// `url`, read (the loader refuses a gate file whose url is not one).
        public var target: TargetURL
        /// Used as given; else obtained by logging in with `adminEmail`/`adminPassword`.
        public var adminToken: String?
        public var adminEmail: String
        public var adminPassword: String?
    }

    /// Pacts to verify and where each provider runs, or the OpenAPI document it publishes.
    public struct Contracts: Sendable {
        /// Where a provider's pacts are replayed, and how: nothing of any stack's conventions is
        /// assumed — the gate file says where states are set and which headers go along.
        public struct Provider: Sendable {
            public var name: String
            public var url: String
            /// Where provider states are set (a full URL); nil: they are not set.
            public var stateChangeURL: String?
            /// Added to each replayed request that does not carry the header itself (a
            /// credential service-to-service pacts leave out). `${credential}` is the credential
            /// the gate holds for the rollout.
            public var headers: [(name: String, value: String)] = []
            /// Sent with each state change (`headers` when the gate file names none).
            public var stateChangeHeaders: [(name: String, value: String)] = []

            public init(name: String, url: String) {
                self.name = name
                self.url = url
            }
        }

        public var pacts: [String]
        /// Each provider whose pacts are replayed.
        public var providers: [Provider]
        /// Provider name → OpenAPI document (a file or URL): its pacts are checked against it.
        /// Pacts of providers in neither list are not this gate's.
        public var openapi: [(name: String, document: String)] = []
    }

    /// One table compared between the services and the monolith: two export endpoints
    /// (http://…/admin/export/TABLE), or two PostgreSQL databases (postgresql://… with `table`).
    public struct ConsistencyCheck: Sendable {
        public var name: String
        public var source: String
        public var target: String
        public var columns: [String]?
        /// Source column → target column, where the target names one differently.
        public var map: [String: String]
        public var targetMayHaveMore: Bool
        /// Databases only: `[schema.]table` on each side, and the key column.
        public var table: String?
        public var targetTable: String?
        public var key: String
        /// Seconds before rows found inconsistent are read again, and how many times at most.
        public var recheckAfter: Double
        public var rechecks: Int
    }

    /// The sides of a comparison, as `Consistency.TablePair` reads them.
    static func isDatabaseURL(_ url: String) -> Bool { url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") }
    static func isExportURL(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

    /// An error rate read from a service's Prometheus counters between the gate's start and the
    /// end of its load: what the service saw, even when retries hid it from the customers.
    public struct MetricCheck: Sendable {
        public var name: String
        public var url: String
        public var rate: CounterErrorRate
        /// The largest acceptable error share, in percent.
        public var threshold: Double
        public var action: RolloutAction
    }

    /// How the stage's percentage is set and read back.
    public enum Rollout: Sendable {
        /// The bundled gateway's `/admin/rollout` (with its lease).
        case gateway
        case http(HTTPRollout.Spec)
        case command(CommandRollout.Spec)
    }

    public var name: String
    public var description: String
    public var source: String
    public var gateway: Gateway
    public var rollout: Rollout
    public var kafkaBrokers: String?
    public var contracts: Contracts?
    public var flows: [String]
    public var flowIterations: Int
    /// Rollout percentage → load profile file (relative paths resolved against the gate file).
    public var stages: [Int: String]
    public var consistency: [ConsistencyCheck]
    public var metrics: [MetricCheck]
    /// `metrics:` entries that are PromQL queries.
    public var queries: [QueryCheck]
    /// The load's objectives (replacing the stage profile's); the rollback triggers by default.
    public var objectives: [Objective]
    /// The file wrote no `slos`: `objectives` are the guide's defaults.
    public var objectivesAreDefaults: Bool
    /// The largest acceptable inconsistency, in percent of rows (the guide's 0.01).
    public var inconsistencyThreshold: Double
}
