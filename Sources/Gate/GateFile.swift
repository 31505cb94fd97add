package import CanaryJudge
package import ContractCore
import Foundation
package import SLO
package import Steps

/// What `tollgate gate` checks before a rollout stage (a YAML file; see `loadprofiles/README.md`).
package struct GateFile: Sendable {
    /// The gateway whose rollout is moved, and how to get an admin token for it.
    package struct Gateway: Sendable {
        package var url: String
        /// `url`, read (the loader refuses a gate file whose url is not one).
        package var target: TargetURL
        /// Used as given; else obtained by logging in with `adminEmail`/`adminPassword`.
        package var adminToken: String?
        package var adminEmail: String
        package var adminPassword: String?
    }

    /// Pacts to verify and where each provider runs, or the OpenAPI document it publishes.
    package struct Contracts: Sendable {
        /// Where a provider's pacts are replayed, and how: nothing of any stack's conventions is
        /// assumed — the gate file says where states are set and which headers go along.
        package struct Provider: Sendable {
            package var name: String
            package var url: String
            /// Where provider states are set (a full URL); nil: they are not set.
            package var stateChangeURL: String?
            /// Added to each replayed request that does not carry the header itself (a
            /// credential service-to-service pacts leave out). `${credential}` is the credential
            /// the gate holds for the rollout.
            package var headers: [(name: String, value: String)] = []
            /// Sent with each state change (`headers` when the gate file names none).
            package var stateChangeHeaders: [(name: String, value: String)] = []
            /// A separate instance the pacts are replayed against (and its states set on), so
            /// provider states never write into the stage's live data; nil: `url` itself.
            package var verificationURL: String?
            /// Which implementation this is, when a provider name has several (the monolith and
            /// the new service both verified, reported apart).
            package var label: String?

            /// Where the pacts are replayed.
            package var replayURL: String { verificationURL ?? url }

            package init(name: String, url: String) {
                self.name = name
                self.url = url
            }
        }

        package var pacts: [String]
        /// Each provider whose pacts are replayed.
        package var providers: [Provider]
        /// Provider name → OpenAPI document (a file or URL): its pacts are checked against it.
        /// Pacts of providers in neither list are not this gate's.
        package var openapi: [(name: String, document: String)] = []
        /// `openapi_strict`: what a document leaves open for a consumer fails the contract trigger (`verify --openapi --strict`).
        package var openapiStrict = false
        /// `broker:` — pacts selected by a Pact Broker for the environment, and can-i-deploy for the stage's versions.
        package var broker: Broker?

        /// A Pact Broker the stage reads: what it selects for each provider is verified with the
        /// other pacts; the versions the stage moves are asked can-i-deploy together.
        package struct Broker: Sendable {
            package var url: String
            /// Providers whose pacts the broker selects (each replayed as `providers` describes it).
            package var providers: [String]
            /// Consumer version selectors; default the pacts of what the environment runs.
            package var selectors: [JSONValue]
            package var environment: String
            /// The versions this stage moves, asked can-i-deploy as one set.
            package var pacticipants: [(name: String, version: String)]
        }
    }

    /// One table compared between the services and the monolith: two export endpoints
    /// (http://…/admin/export/TABLE), or two PostgreSQL databases (postgresql://… with `table`).
    package struct ConsistencyCheck: Sendable {
        package var name: String
        package var source: String
        package var target: String
        package var columns: [String]?
        /// Source column → target column, where the target names one differently.
        package var map: [String: String]
        package var targetMayHaveMore: Bool
        /// Databases only: `[schema.]table` on each side, and the key column.
        package var table: String?
        package var targetTable: String?
        package var key: String
        /// Seconds before rows found inconsistent are read again, and how many times at most.
        package var recheckAfter: Double
        package var rechecks: Int
    }

    /// The sides of a comparison, as `Consistency.TablePair` reads them.
    static func isDatabaseURL(_ url: String) -> Bool { url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") }
    static func isExportURL(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

    /// An error rate read from a service's Prometheus counters between the gate's start and the
    /// end of its load: what the service saw, even when retries hid it from the customers.
    package struct MetricCheck: Sendable {
        package var name: String
        package var url: String
        package var rate: CounterErrorRate
        /// The largest acceptable error share, in percent.
        package var threshold: Double
        package var action: RolloutAction
    }

    /// How the stage's percentage is set and read back.
    /// A lock the gate takes before it moves the rollout (the bundled gateway leases its own).
    package enum Lock: Sendable {
        /// A lock file on the runner (`flock`).
        case file(path: String)
        /// A session-held advisory lock in a PostgreSQL database the team names.
        case postgres(database: String, name: String)
        /// The team's own commands: acquire (exit 0 taken), renew, release.
        case command(acquire: [String], renew: [String]?, release: [String], timeout: Double)
    }

    package enum Rollout: Sendable {
        /// The bundled gateway's `/admin/rollout` (with its lease).
        case gateway
        case http(HTTPRollout.Spec)
        case command(CommandRollout.Spec)

        /// The bundled gateway, whose messages may speak of "the new services".
        package var isGateway: Bool { if case .gateway = self { return true } else { return false } }
    }

    package var name: String
    package var description: String
    package var source: String
    /// The bundled gateway, when the gate moves it (`rollout.kind: tollgate-gateway`, the default).
    package var gateway: Gateway?
    /// Where the flows and the load are sent: `target:`, else the gateway's URL.
    package var target: TargetURL
    package var rollout: Rollout
    /// `lock:` — what keeps a second gate off a rollout that has no lease of its own.
    package var lock: Lock?
    package var kafkaBrokers: String?
    package var contracts: Contracts?
    package var flows: [String]
    package var flowIterations: Int
    /// Rollout percentage → load profile file (relative paths resolved against the gate file).
    package var stages: [Int: String]
    /// Stages written `none`: no load of the gate's own; judged on the traffic already there
    /// (counters, PromQL, consistency, contracts, parity) over an observation window.
    package var observedStages: Set<Int> = []

    /// Every stage the file lists, in order.
    package var allStages: [Int] { Set(stages.keys).union(observedStages).sorted() }
    package var consistency: [ConsistencyCheck]
    package var metrics: [MetricCheck]
    /// `metrics:` entries that are PromQL queries.
    package var queries: [QueryCheck]
    /// The load's objectives (replacing the stage profile's); the rollback triggers by default.
    package var objectives: [Objective]
    /// The file wrote no `slos`: `objectives` are the guide's defaults.
    package var objectivesAreDefaults: Bool
    /// The largest acceptable inconsistency, in percent of rows (the guide's 0.01).
    package var inconsistencyThreshold: Double
    /// How a response names the path that served it (`split:`; the bundled gateway's by default).
    package var split: PathSplit?
    /// `split: {baseline_url, canary_url}`: the stage's load divides its users between two URLs by the stage's percentage.
    package var splitURLs: (baseline: TargetURL, canary: TargetURL)?
    /// `judge:` — the canary compared with the baseline on the stage's own traffic.
    package var judge: JudgeSettings?
    /// `parity:` — does the new path answer as the old one does?
    package var parity: Parity?
    /// The gate-wide Prometheus (`prometheus:`), for the judge's PromQL pairs.
    package var prometheus: (url: String, credentials: PrometheusCredentials)?
    /// How the stage's load and flows connect to an `https://` target (on top of the profile's and flows' own `tls:`).
    package var tls = TLSSettings()

    /// Safe requests replayed against the old path (twice) and the new one (once), as `tollgate parity`.
    package struct Parity: Sendable {
        package var baseline: String
        package var candidate: String
        /// HAR files, load profiles or flows (resolved against the gate file).
        package var requests: [String]
        /// The largest share of an endpoint's requests that may differ, in percent.
        package var threshold: Double
        package var repeats: Int
        package var ignored: [String]
        package var unordered: [String]
        package var headers: [String]
        package var action: RolloutAction
    }
}
