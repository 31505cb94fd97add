import ContractCore
import Foundation
import LoadEngine
import SLO
import Steps
import Yams

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
    fileprivate static func isDatabaseURL(_ url: String) -> Bool { url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") }
    fileprivate static func isExportURL(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

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

/// Reads gate files, listing every problem with its file, line and field.
public enum GateLoader {
    static let topFields: Set<String> = ["name", "description", "gateway", "kafka_brokers", "contracts", "flows", "flow_iterations", "stages",
                                         "consistency", "metrics", "prometheus", "rollout", "slos", "inconsistency_threshold", "recheck_after", "rechecks"]

    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GateFile {
        try parse(try NodeReader.readText(file), file: file, environment: environment)
    }

    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws -> GateFile {
        var reader = NodeReader(file: file)
        let (root, values) = try reader.document(text, environment: environment, allowed: topFields, empty: "the gate file is empty")
        let folder = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || folder.isEmpty ? path : ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
        }
        let name = reader.string(values["name"], "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let description = reader.string(values["description"], "description") ?? ""

        var gateway: GateFile.Gateway?
        if let entries = reader.mapping(values["gateway"], "gateway", allowed: ["url", "admin_token", "admin_email", "admin_password"]) {
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let url = reader.string(fields["url"], "gateway.url") ?? ""
            let adminToken = reader.string(fields["admin_token"], "gateway.admin_token").flatMap { $0.isEmpty ? nil : $0 }
            let adminEmail = reader.string(fields["admin_email"], "gateway.admin_email") ?? "admin@tollgate.local"
            let adminPassword = reader.string(fields["admin_password"], "gateway.admin_password").flatMap { $0.isEmpty ? nil : $0 }
            if let target = TargetURL(url) {
                gateway = GateFile.Gateway(url: url, target: target, adminToken: adminToken, adminEmail: adminEmail, adminPassword: adminPassword)
            } else {
                reader.problem(fields["url"] ?? values["gateway"], "gateway.url", "needs the gateway's http:// URL")
            }
        } else if values["gateway"] == nil {
            reader.problem(root, "gateway", "missing: the gateway's url (and admin credentials) are needed to move the rollout")
        }
        let brokers = reader.string(values["kafka_brokers"], "kafka_brokers").flatMap { $0.isEmpty ? nil : $0 }
        let rollout = values["rollout"].map { reader.rollout($0, "rollout") } ?? .gateway

        var contracts: GateFile.Contracts?
        if let entries = reader.mapping(values["contracts"], "contracts", allowed: ["pacts", "providers", "openapi"]) {
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let pacts = (reader.sequence(fields["pacts"], "contracts.pacts") ?? []).enumerated().compactMap { index, node in
                reader.string(node, "contracts.pacts[\(index)]").map(resolve)
            }
            if pacts.isEmpty { reader.problem(fields["pacts"] ?? values["contracts"], "contracts.pacts", "name at least one pact file or folder") }
            var providers: [GateFile.Contracts.Provider] = []
            for (provider, node) in reader.mapping(fields["providers"], "contracts.providers") ?? [] {
                if let found = reader.contractProvider(provider, node) { providers.append(found) }
            }
            var documents: [(name: String, document: String)] = []
            for (provider, node) in reader.mapping(fields["openapi"], "contracts.openapi") ?? [] {
                guard let document = reader.string(node, "contracts.openapi.\(provider)") else { continue }
                if document.isEmpty { reader.problem(node, "contracts.openapi.\(provider)", "name the provider's OpenAPI document (a file or an http(s) URL)"); continue }
                let isURL = document.hasPrefix("http://") || document.hasPrefix("https://")
                if isURL, URLComponents(string: document)?.host?.isEmpty ?? true {
                    reader.problem(node, "contracts.openapi.\(provider)", "not a valid http(s) URL: '\(document)'")
                }
                documents.append((provider, isURL ? document : resolve(document)))
            }
            if providers.isEmpty && documents.isEmpty {
                reader.problem(fields["providers"] ?? values["contracts"], "contracts.providers",
                               "map each provider to its base URL (providers) or its OpenAPI document (openapi)")
            }
            contracts = GateFile.Contracts(pacts: pacts, providers: providers, openapi: documents)
        }

        let flows = (reader.sequence(values["flows"], "flows") ?? []).enumerated().compactMap { index, node in
            reader.string(node, "flows[\(index)]").map(resolve)
        }
        let iterations = reader.integer(values["flow_iterations"], "flow_iterations", in: 1...1000) ?? 1

        var stages: [Int: String] = [:]
        for (key, node) in reader.mapping(values["stages"], "stages") ?? [] {
            guard let percent = Int(key), (1...100).contains(percent) else {
                reader.problem(node, "stages.\(key)", "a stage is a rollout percentage from 1 to 100")
                continue
            }
            if let profile = reader.string(node, "stages.\(key)") { stages[percent] = resolve(profile) }
        }
        if values["stages"] == nil { reader.problem(root, "stages", "missing: the load profile of each rollout stage (e.g. 25: stage-25.yaml)") }

        let recheckAfter = values["recheck_after"].flatMap { reader.duration($0, "recheck_after") } ?? 5
        if recheckAfter > 3_600 { reader.problem(values["recheck_after"], "recheck_after", "at most 1h") }
        let rechecks = reader.integer(values["rechecks"], "rechecks", in: 0...100) ?? 3
        var checks: [GateFile.ConsistencyCheck] = []
        for (index, node) in (reader.sequence(values["consistency"], "consistency") ?? []).enumerated() {
            let here = "consistency[\(index)]"
            guard let entries = reader.mapping(node, here, allowed: ["name", "source", "target", "columns", "map", "target_may_have_more",
                                                                     "table", "target_table", "key", "recheck_after", "rechecks"]) else { continue }
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let source = reader.string(fields["source"], "\(here).source") ?? ""
            let target = reader.string(fields["target"], "\(here).target") ?? ""
            let databases = GateFile.isDatabaseURL(source)
            for (field, url) in [("source", source), ("target", target)] {
                if databases ? !GateFile.isDatabaseURL(url) : !GateFile.isExportURL(url) {
                    reader.problem(fields[field] ?? node, "\(here).\(field)", databases
                        ? "needs a postgresql:// URL, as the source"
                        : "needs an export endpoint URL (http://…/admin/export/TABLE) or, on both sides, a postgresql:// URL")
                }
            }
            let table = reader.string(fields["table"], "\(here).table")
            let targetTable = reader.string(fields["target_table"], "\(here).target_table")
            let key = reader.string(fields["key"], "\(here).key")
            if databases, table == nil { reader.problem(node, "\(here).table", "missing: the [schema.]table compared in the databases") }
            if !databases {
                for (field, given) in [("table", table), ("target_table", targetTable), ("key", key)] where given != nil {
                    reader.problem(fields[field] ?? node, "\(here).\(field)", "is for postgresql:// sources; an export URL names its table and key")
                }
            }
            let columns = reader.sequence(fields["columns"], "\(here).columns").map { items in
                items.enumerated().compactMap { reader.string($1, "\(here).columns[\($0)]") }
            }
            var map: [String: String] = [:]
            for (column, renamed) in reader.mapping(fields["map"], "\(here).map") ?? [] {
                if let renamed = reader.string(renamed, "\(here).map.\(column)") { map[column] = renamed }
            }
            let fallbackName = databases ? table : URL(string: source)?.lastPathComponent
            checks.append(GateFile.ConsistencyCheck(name: reader.string(fields["name"], "\(here).name") ?? fallbackName ?? "table \(index + 1)",
                                                    source: source, target: target, columns: columns, map: map,
                                                    targetMayHaveMore: reader.bool(fields["target_may_have_more"], "\(here).target_may_have_more") ?? false,
                                                    table: table, targetTable: targetTable, key: key ?? "id",
                                                    recheckAfter: min(3_600, fields["recheck_after"].flatMap { reader.duration($0, "\(here).recheck_after") } ?? recheckAfter),
                                                    rechecks: reader.integer(fields["rechecks"], "\(here).rechecks", in: 0...100) ?? rechecks))
        }
        let prometheus = reader.prometheus(values["prometheus"], "prometheus")
        var metrics: [GateFile.MetricCheck] = []
        var queries: [QueryCheck] = []
        for (index, node) in (reader.sequence(values["metrics"], "metrics") ?? []).enumerated() {
            let here = "metrics[\(index)]"
            if case .mapping(let mapping) = node, mapping.keys.contains(where: { $0.string == "query" }) {
                if let check = reader.queryCheck(node, here, index: index, prometheus: prometheus) { queries.append(check) }
                continue
            }
            guard let entries = reader.mapping(node, here, allowed: ["name", "url", "counter", "labels", "errors", "threshold", "action"]) else { continue }
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let url = reader.string(fields["url"], "\(here).url") ?? ""
            if TargetURL(url) == nil { reader.problem(fields["url"] ?? node, "\(here).url", "needs the service's http:// metrics URL") }
            var labels: [String: String] = [:]
            for (label, value) in reader.mapping(fields["labels"], "\(here).labels") ?? [] {
                if let text = reader.string(value, "\(here).labels.\(label)") { labels[label] = text }
            }
            // `errors: {status: 5xx}`: a label, and the prefix (before the x's) its value starts with on errors.
            var errorLabel = "status", errorPrefix = "5"
            if let errors = reader.mapping(fields["errors"], "\(here).errors") {
                if errors.count != 1 { reader.problem(fields["errors"], "\(here).errors", "one label and the value errors have, e.g. {status: 5xx}") }
                if let (label, value) = errors.first, let text = reader.string(value, "\(here).errors.\(label)") {
                    errorLabel = label
                    errorPrefix = String(text.prefix { $0 != "x" && $0 != "X" })
                    if errorPrefix.isEmpty { reader.problem(value, "\(here).errors.\(label)", "give the value's start, e.g. 5xx") }
                }
            }
            let threshold = reader.number(fields["threshold"], "\(here).threshold", in: 0...100)
            if fields["threshold"] == nil { reader.problem(node, "\(here).threshold", "missing: the largest acceptable error share, in percent") }
            var action = TriggerKind.serviceMetric.defaultAction
            if let text = reader.string(fields["action"], "\(here).action") {
                if let chosen = RolloutAction(rawValue: text) { action = chosen } else {
                    reader.problem(fields["action"], "\(here).action", "one of \(RolloutAction.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            metrics.append(GateFile.MetricCheck(name: reader.string(fields["name"], "\(here).name") ?? "metric \(index + 1)", url: url,
                                                rate: CounterErrorRate(counter: reader.string(fields["counter"], "\(here).counter") ?? "http_requests_total",
                                                                       labels: labels, errorLabel: errorLabel, errorPrefix: errorPrefix),
                                                threshold: threshold ?? 0, action: action))
        }
        let written = ProfileLoader.objectives(values["slos"], reader: &reader)
        let objectives = written ?? Objective.rolloutDefaults
        let threshold = reader.number(values["inconsistency_threshold"], "inconsistency_threshold", in: 0...100) ?? 0.01
        guard reader.problems.isEmpty, let gateway else { throw ProfileError(problems: reader.problems) }
        return GateFile(name: name, description: description, source: file, gateway: gateway, rollout: rollout, kafkaBrokers: brokers, contracts: contracts,
                        flows: flows, flowIterations: iterations, stages: stages, consistency: checks, metrics: metrics, queries: queries, objectives: objectives,
                        objectivesAreDefaults: written == nil, inconsistencyThreshold: threshold)
    }
}

extension NodeReader {
    /// The gate-wide Prometheus: a URL, or `{url, bearer_token_env, username_env, password_env}`
    /// (the names of environment variables holding the credential, never the credential).
    mutating func prometheus(_ node: Node?, _ field: String) -> (url: String, credentials: PrometheusCredentials)? {
        guard let node else { return nil }
        if case .scalar = node {
            guard let url = string(node, field) else { return nil }
            return prometheusURL(url, node, field) ? (url, PrometheusCredentials()) : nil
        }
        guard let entries = mapping(node, field, allowed: ["url", "bearer_token_env", "username_env", "password_env"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let url = string(fields["url"], field + ".url") ?? ""
        guard prometheusURL(url, fields["url"] ?? node, field + ".url") else { return nil }
        let credentials = PrometheusCredentials(bearerTokenVariable: string(fields["bearer_token_env"], field + ".bearer_token_env"),
                                                usernameVariable: string(fields["username_env"], field + ".username_env"),
                                                passwordVariable: string(fields["password_env"], field + ".password_env"))
        if (credentials.usernameVariable == nil) != (credentials.passwordVariable == nil) {
            problem(node, field, "basic auth needs both username_env and password_env")
        }
        return (url, credentials)
    }

    private mutating func prometheusURL(_ url: String, _ node: Node, _ field: String) -> Bool {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), let parsed = URL(string: url), parsed.host != nil else {
            problem(node, field, "needs the Prometheus server's http(s):// URL, e.g. http://127.0.0.1:9090")
            return false
        }
        // A credential in the URL would be printed with it: it is named by environment variable instead.
        guard parsed.user == nil, parsed.password == nil else {
            problem(node, field, "holds a credential: name the environment variables that hold it (bearer_token_env, or username_env and password_env)")
            return false
        }
        return true
    }

    /// A `metrics:` entry with a `query`: PromQL judged as Argo Rollouts judges an analysis.
    mutating func queryCheck(_ node: Node, _ here: String, index: Int, prometheus gateWide: (url: String, credentials: PrometheusCredentials)?) -> QueryCheck? {
        guard let entries = mapping(node, here, allowed: ["name", "query", "prometheus", "threshold", "comparison", "success_condition", "interval", "range_step",
                                                         "count", "failure_limit", "inconclusive_limit", "action"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let before = problems.count
        let query = string(fields["query"], here + ".query") ?? ""
        if query.trimmingCharacters(in: .whitespaces).isEmpty { problem(fields["query"] ?? node, here + ".query", "an empty query") }
        let server = fields["prometheus"].map { prometheus($0, here + ".prometheus") } ?? gateWide
        if server == nil, fields["prometheus"] == nil {
            problem(node, here + ".prometheus", "no Prometheus to ask: give prometheus: URL here or at the top of the gate file")
        }
        var comparison = Comparison.atMost
        var threshold: Double?
        if let text = string(fields["success_condition"], here + ".success_condition") {
            if fields["threshold"] != nil || fields["comparison"] != nil {
                problem(fields["success_condition"], here + ".success_condition", "give either success_condition or threshold (with comparison), not both")
            }
            // `result < 0.01`: the measured value on the left, a number on the right.
            let parts = text.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 3, parts[0] == "result", let chosen = Comparison(rawValue: String(parts[1])), let number = Double(parts[2]), number.isFinite {
                comparison = chosen
                threshold = number
            } else {
                problem(fields["success_condition"], here + ".success_condition", "write it as 'result OP NUMBER' with OP one of <, <=, >, >= (e.g. result < 0.01)")
            }
        } else {
            threshold = number(fields["threshold"], here + ".threshold", in: -1e15...1e15)
            if fields["threshold"] == nil { problem(node, here + ".threshold", "missing: the value the query is compared with (or a success_condition)") }
            if let text = string(fields["comparison"], here + ".comparison") {
                if let chosen = Comparison(rawValue: text) { comparison = chosen } else {
                    problem(fields["comparison"], here + ".comparison", "one of <, <=, >, >= (how the value passes: value OP threshold)")
                }
            }
        }
        let interval = fields["interval"].flatMap { duration($0, here + ".interval") }
        if let interval, interval < 1 || interval > 3_600 { problem(fields["interval"], here + ".interval", "between 1s and 1h") }
        let count = integer(fields["count"], here + ".count", in: 1...1_000) ?? 1
        if count > 1, interval == nil { problem(fields["count"], here + ".count", "several measurements need an interval between them") }
        let rangeStep = fields["range_step"].flatMap { duration($0, here + ".range_step") }
        if let rangeStep, rangeStep < 1 || rangeStep > 3_600 { problem(fields["range_step"], here + ".range_step", "between 1s and 1h") }
        if rangeStep != nil, fields["interval"] != nil || fields["count"] != nil {
            problem(fields["range_step"], here + ".range_step", "a series over the whole load (query_range) is measured once: no interval or count with it")
        }
        let failureLimit = integer(fields["failure_limit"], here + ".failure_limit", in: 0...1_000) ?? 0
        let inconclusiveLimit = integer(fields["inconclusive_limit"], here + ".inconclusive_limit", in: 0...1_000) ?? 0
        var action = TriggerKind.query.defaultAction
        if let text = string(fields["action"], here + ".action") {
            if let chosen = RolloutAction(rawValue: text) { action = chosen } else {
                problem(fields["action"], here + ".action", "one of \(RolloutAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        guard problems.count == before, let server, let threshold else { return nil }
        return QueryCheck(name: string(fields["name"], here + ".name") ?? "query \(index + 1)", prometheus: server.url, query: query, comparison: comparison,
                          threshold: threshold, interval: interval, count: count, rangeStep: rangeStep, failureLimit: failureLimit, inconclusiveLimit: inconclusiveLimit,
                          action: action, credentials: server.credentials)
    }
}

extension NodeReader {
    /// `rollout: {kind: tollgate-gateway | http | command, …}`.
    mutating func rollout(_ node: Node, _ field: String) -> GateFile.Rollout {
        guard let entries = mapping(node, field, allowed: ["kind", "set", "get", "scale", "timeout"]) else { return .gateway }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let kind = string(fields["kind"], field + ".kind") ?? "tollgate-gateway"
        let scale = number(fields["scale"], field + ".scale", in: 1e-6...1e9) ?? 1
        switch kind {
        case "tollgate-gateway":
            for extra in ["set", "get", "scale", "timeout"] where fields[extra] != nil {
                problem(fields[extra], "\(field).\(extra)", "the bundled gateway is moved through its own API: \(extra) is for kind http or command")
            }
            return .gateway
        case "http":
            let set = mapping(fields["set"], field + ".set", allowed: ["method", "url", "headers", "body"]).map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
            let get = mapping(fields["get"], field + ".get", allowed: ["url", "headers", "path"]).map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
            if set == nil { problem(fields["set"] ?? node, field + ".set", "missing: the request that sets the percentage (method, url, headers, body with ${percent})") }
            if get == nil { problem(fields["get"] ?? node, field + ".get", "missing: the request that reads the percentage back (url, headers, path): the gate checks it and restores it") }
            let method = set.flatMap { string($0["method"], field + ".set.method") }?.uppercased() ?? "PUT"
            if !["PUT", "PATCH", "POST"].contains(method) { problem(set?["method"], field + ".set.method", "PUT, PATCH or POST") }
            let setURL = set.flatMap { rolloutURL($0["url"], field + ".set.url") } ?? ""
            let getURL = get.flatMap { rolloutURL($0["url"], field + ".get.url") } ?? ""
            let pathText = get.flatMap { string($0["path"], field + ".get.path") } ?? ""
            var path: PathExpression?
            if get != nil {
                do { path = try PathExpression(pathText) } catch { problem(get?["path"] ?? node, field + ".get.path", "a JSON path to the current value, e.g. $.percentage: \(error)") }
            }
            let body = set.flatMap { string($0["body"], field + ".set.body") } ?? ""
            let setHeaders = plainHeaders(set?["headers"], field + ".set.headers")
            let getHeaders = plainHeaders(get?["headers"], field + ".get.headers")
            guard let path, set != nil, !setURL.isEmpty, !getURL.isEmpty else { return .gateway }
            return .http(HTTPRollout.Spec(setMethod: method, setURL: setURL, setHeaders: setHeaders, setBody: body, getURL: getURL, getHeaders: getHeaders,
                                          getPath: path, scale: scale))
        case "command":
            let set = arguments(fields["set"], field + ".set")
            let get = arguments(fields["get"], field + ".get")
            if fields["set"] == nil { problem(node, field + ".set", "missing: the command that sets the percentage, an argument list with ${percent}") }
            if fields["get"] == nil { problem(node, field + ".get", "missing: the command that prints the current percentage: the gate checks it and restores it") }
            let timeout = fields["timeout"].flatMap { duration($0, field + ".timeout") } ?? 30
            if timeout < 1 || timeout > 600 { problem(fields["timeout"], field + ".timeout", "between 1s and 10m") }
            guard let set, let get else { return .gateway }
            return .command(CommandRollout.Spec(set: set, get: get, timeout: timeout, scale: scale))
        default:
            problem(fields["kind"], field + ".kind", "one of tollgate-gateway, http, command")
            return .gateway
        }
    }

    private mutating func rolloutURL(_ node: Node?, _ field: String) -> String? {
        guard let url = string(node, field) else {
            if node == nil { problem(nil, field, "missing: an http(s):// URL") }
            return nil
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url.replacingOccurrences(of: "${percent}", with: "0"))?.host != nil else {
            problem(node, field, "needs an http(s):// URL")
            return nil
        }
        return url
    }

    /// `contracts.providers.NAME`: a base URL, or `{url, state_change_url, headers, state_change_headers}`.
    mutating func contractProvider(_ name: String, _ node: Node) -> GateFile.Contracts.Provider? {
        let field = "contracts.providers.\(name)"
        if case .scalar = node {
            guard let url = string(node, field) else { return nil }
            if TargetURL(url) == nil { problem(node, field, "not an http:// URL: '\(url)'") }
            return GateFile.Contracts.Provider(name: name, url: url)
        }
        guard let entries = mapping(node, field, allowed: ["url", "state_change_url", "headers", "state_change_headers"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let url = string(fields["url"], field + ".url") else {
            problem(node, field + ".url", "missing: the provider's base URL")
            return nil
        }
        if TargetURL(url) == nil { problem(fields["url"], field + ".url", "not an http:// URL: '\(url)'") }
        var provider = GateFile.Contracts.Provider(name: name, url: url)
        if let state = string(fields["state_change_url"], field + ".state_change_url") {
            // A path is on the provider's base URL.
            let full = state.hasPrefix("/") ? (url.hasSuffix("/") ? String(url.dropLast()) : url) + state : state
            if TargetURL(full) == nil { problem(fields["state_change_url"], field + ".state_change_url", "not an http:// URL or a path starting with '/': '\(state)'") }
            if URLComponents(string: full)?.query != nil {
                problem(fields["state_change_url"], field + ".state_change_url", "no query string: a credential goes in state_change_headers, never in a URL (access logs keep URLs)")
            }
            provider.stateChangeURL = full
        }
        provider.headers = plainHeaders(fields["headers"], field + ".headers")
        provider.stateChangeHeaders = fields["state_change_headers"] == nil ? provider.headers : plainHeaders(fields["state_change_headers"], field + ".state_change_headers")
        return provider
    }

    /// Header names and values as written (`${percent}` filled when sent).
    private mutating func plainHeaders(_ node: Node?, _ field: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for (name, value) in mapping(node, field) ?? [] {
            guard let text = string(value, "\(field).\(name)") else { continue }
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                problem(value, field, "'\(name)' is not a header name")
            } else if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                problem(value, "\(field).\(name)", "a header value has no line breaks")
            } else {
                headers.append((name, text))
            }
        }
        return headers
    }

    /// A command as an argument list (no shell): a YAML sequence of strings.
    private mutating func arguments(_ node: Node?, _ field: String) -> [String]? {
        guard let node, let items = sequence(node, field) else { return nil }
        let list = items.enumerated().compactMap { string($0.element, "\(field)[\($0.offset)]") }
        guard !list.isEmpty, list.count == items.count else {
            if list.isEmpty { problem(node, field, "an empty command") }
            return nil
        }
        return list
    }
}
