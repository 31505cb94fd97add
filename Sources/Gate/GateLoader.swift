import CanaryJudge
import ContractCore
import Foundation
import PactBroker
import SLO
import Steps
import Yams

/// Reads gate files, listing every problem with its file, line and field.
package enum GateLoader {
    static let topFields: Set<String> = ["name", "description", "gateway", "kafka_brokers", "contracts", "flows", "flow_iterations", "stages",
                                         "consistency", "metrics", "prometheus", "rollout", "lock", "target", "slos", "inconsistency_threshold", "recheck_after", "rechecks",
                                         "split", "judge", "parity", "tls"]

    package static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GateFile {
        try parse(try NodeReader.readText(file), file: file, environment: environment)
    }

    package static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws -> GateFile {
        var reader = NodeReader(file: file)
        let (root, values) = try reader.document(text, environment: environment, allowed: topFields, empty: "the gate file is empty")
        let folder = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || folder.isEmpty ? path : ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
        }
        let name = reader.string(values["name"], "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let description = reader.string(values["description"], "description") ?? ""

        let rollout = values["rollout"].map { reader.rollout($0, "rollout") } ?? .gateway
        // Only the bundled gateway's rollout needs the gateway; any rollout kind works without it.
        let gateway = reader.gateway(values["gateway"], root: root, required: rollout.isGateway)
        // The bundled gateway moved through its API by an http rollout: the two would fight, and without its lease.
        if let gateway, case .http(let spec) = rollout,
           [spec.setURL, spec.getURL].contains(where: { $0.hasPrefix(gateway.url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/admin/rollout") }) {
            reader.problem(values["rollout"], "rollout", "kind http points at the gateway's own /admin/rollout: use kind tollgate-gateway (the default), whose lease keeps a second gate off")
        }
        let brokers = reader.string(values["kafka_brokers"], "kafka_brokers").flatMap { $0.isEmpty ? nil : $0 }
        var target = gateway?.target
        if let text = reader.string(values["target"], "target") {
            if let given = TargetURL(text) { target = given } else { reader.problem(values["target"], "target", "not an http:// or https:// URL: '\(text)'") }
        } else if gateway == nil, values["gateway"] == nil {
            reader.problem(root, "target", "missing: the base URL the flows and the load are sent to (or gateway.url)")
        }

        let contracts = reader.contracts(values["contracts"], resolve: resolve)

        let flows = (reader.sequence(values["flows"], "flows") ?? []).enumerated().compactMap { index, node in
            reader.string(node, "flows[\(index)]").map(resolve)
        }
        let iterations = reader.integer(values["flow_iterations"], "flow_iterations", in: 1...1000) ?? 1

        let (stages, observedStages) = reader.stages(values["stages"], root: root, resolve: resolve)

        let checks = reader.consistencyChecks(values, resolve: resolve)
        let prometheus = reader.prometheus(values["prometheus"], "prometheus")
        let (metrics, queries) = reader.metricChecks(values["metrics"], prometheus: prometheus)
        let written = reader.objectives(values["slos"])
        let objectives = written ?? Objective.rolloutDefaults
        let threshold = reader.number(values["inconsistency_threshold"], "inconsistency_threshold", in: 0...100) ?? 0.01
        let lock = values["lock"].flatMap { reader.lock($0, gate: name, resolve: resolve) }
        let (split, splitURLs, judge) = reader.canarySplit(values, rollout: rollout, root: root)
        if let judge, judge.metrics.contains(where: \.measure.isQueryPair), prometheus == nil {
            reader.problem(values["judge"], "judge.metrics", "a baseline_query/canary_query pair needs the gate-wide prometheus: (its URL and credentials)")
        }
        let parity = values["parity"].flatMap { reader.parity($0, resolve: resolve) }
        let tls = reader.tlsSettings(values["tls"], "tls", directory: folder.isEmpty ? "." : folder)
        guard reader.problems.isEmpty, let target else { throw FileProblems(problems: reader.problems) }
        var gateFile = GateFile(name: name, description: description, source: file, gateway: gateway, target: target, rollout: rollout, kafkaBrokers: brokers, contracts: contracts,
                        flows: flows, flowIterations: iterations, stages: stages, consistency: checks, metrics: metrics, queries: queries, objectives: objectives,
                        objectivesAreDefaults: written == nil, inconsistencyThreshold: threshold)
        gateFile.lock = lock
        gateFile.split = split
        gateFile.splitURLs = splitURLs
        gateFile.judge = judge
        gateFile.parity = parity
        gateFile.prometheus = prometheus
        gateFile.observedStages = observedStages
        gateFile.tls = tls
        return gateFile
    }
}

/// The gate file's sections, one function each.
extension NodeReader {
    /// `gateway:` — the bundled gateway's URL and admin credentials (`required` when the gate moves it).
    mutating func gateway(_ node: Node?, root: Node, required: Bool) -> GateFile.Gateway? {
        var gateway: GateFile.Gateway?
        if let entries = mapping(node, "gateway", allowed: ["url", "admin_token", "admin_email", "admin_password"]) {
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let url = string(fields["url"], "gateway.url") ?? ""
            let adminToken = string(fields["admin_token"], "gateway.admin_token").flatMap { $0.isEmpty ? nil : $0 }
            let adminEmail = string(fields["admin_email"], "gateway.admin_email") ?? "admin@tollgate.local"
            let adminPassword = string(fields["admin_password"], "gateway.admin_password").flatMap { $0.isEmpty ? nil : $0 }
            if let target = TargetURL(url) {
                gateway = GateFile.Gateway(url: url, target: target, adminToken: adminToken, adminEmail: adminEmail, adminPassword: adminPassword)
            } else {
                problem(fields["url"] ?? node, "gateway.url", "needs the gateway's http:// or https:// URL")
            }
        } else if node == nil, required {
            problem(root, "gateway", "missing: the gateway's url (and admin credentials) are needed to move its rollout (or name another rollout: kind http or command)")
        }
        return gateway
    }

    /// `lock:` — `{kind: file, path: FILE}` or `{kind: postgres, database: URL[, name: NAME]}` (the name defaults to the gate's).
    mutating func lock(_ node: Node, gate: String, resolve: (String) -> String) -> GateFile.Lock? {
        guard let entries = mapping(node, "lock", allowed: ["kind", "path", "database", "name", "acquire", "renew", "release", "timeout"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        switch string(fields["kind"], "lock.kind") {
        case "file":
            guard let path = string(fields["path"], "lock.path"), !path.isEmpty else {
                problem(node, "lock.path", "missing: the lock file (on the machine the gates run on)")
                return nil
            }
            return .file(path: resolve(path))
        case "postgres":
            guard let database = string(fields["database"], "lock.database"), database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else {
                problem(fields["database"] ?? node, "lock.database", "needs the postgresql:// URL of a database the gates share")
                return nil
            }
            let name = string(fields["name"], "lock.name") ?? gate
            return .postgres(database: database, name: name)
        case "command":
            let acquire = arguments(fields["acquire"], "lock.acquire"), release = arguments(fields["release"], "lock.release")
            let renew = fields["renew"] == nil ? nil : arguments(fields["renew"], "lock.renew")
            let timeout = fields["timeout"].flatMap { duration($0, "lock.timeout") } ?? 30
            guard let acquire, let release else {
                problem(node, "lock", "a command lock needs acquire and release (argument lists; renew is optional)")
                return nil
            }
            return .command(acquire: acquire, renew: renew, release: release, timeout: timeout)
        case let other?:
            problem(fields["kind"], "lock.kind", "'\(other)' is not a lock kind (file, postgres, command)")
            return nil
        case nil:
            problem(node, "lock.kind", "missing: file, postgres or command")
            return nil
        }
    }

    /// `contracts:` — the pacts, and each provider's base URL or OpenAPI document.
    mutating func contracts(_ node: Node?, resolve: (String) -> String) -> GateFile.Contracts? {
        var contracts: GateFile.Contracts?
        if let entries = mapping(node, "contracts", allowed: ["pacts", "providers", "openapi", "openapi_strict", "broker"]) {
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let pacts = (sequence(fields["pacts"], "contracts.pacts") ?? []).enumerated().compactMap { index, node in
                string(node, "contracts.pacts[\(index)]").map(resolve)
            }
            let broker = fields["broker"].flatMap { contractBroker($0) }
            if pacts.isEmpty && broker == nil { problem(fields["pacts"] ?? node, "contracts.pacts", "name at least one pact file or folder (or a broker)") }
            var providers: [GateFile.Contracts.Provider] = []
            for (provider, node) in mapping(fields["providers"], "contracts.providers") ?? [] {
                providers += contractProviders(provider, node)
            }
            var documents: [(name: String, document: String)] = []
            for (provider, node) in mapping(fields["openapi"], "contracts.openapi") ?? [] {
                guard let document = string(node, "contracts.openapi.\(provider)") else { continue }
                if document.isEmpty { problem(node, "contracts.openapi.\(provider)", "name the provider's OpenAPI document (a file or an http(s) URL)"); continue }
                let isURL = document.hasPrefix("http://") || document.hasPrefix("https://")
                if isURL, URLComponents(string: document)?.host?.isEmpty ?? true {
                    problem(node, "contracts.openapi.\(provider)", "not a valid http(s) URL: '\(document)'")
                }
                documents.append((provider, isURL ? document : resolve(document)))
            }
            if providers.isEmpty && documents.isEmpty {
                problem(fields["providers"] ?? node, "contracts.providers",
                               "map each provider to its base URL (providers) or its OpenAPI document (openapi)")
            }
            contracts = GateFile.Contracts(pacts: pacts, providers: providers, openapi: documents)
            contracts?.openapiStrict = bool(fields["openapi_strict"], "contracts.openapi_strict") ?? false
            contracts?.broker = broker
            if let broker, let unknown = broker.providers.first(where: { name in !providers.contains { $0.name == name } }) {
                problem(fields["broker"], "contracts.broker.providers", "'\(unknown)' has no entry under contracts.providers: say where its pacts are replayed")
            }
        }

        return contracts
    }

    /// `contracts.broker:` — `{url, providers, selectors, environment, pacticipants: {NAME: VERSION}}`.
    mutating func contractBroker(_ node: Node) -> GateFile.Contracts.Broker? {
        let here = "contracts.broker"
        guard let entries = mapping(node, here, allowed: ["url", "providers", "selectors", "environment", "pacticipants"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let before = problems.count
        let url = string(fields["url"], here + ".url") ?? ""
        if url.isEmpty || !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URLComponents(string: url)?.host?.isEmpty ?? true {
            problem(fields["url"] ?? node, here + ".url", "the broker's http(s) URL (credentials from PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD)")
        }
        let environment = string(fields["environment"], here + ".environment") ?? ""
        if environment.isEmpty { problem(fields["environment"] ?? node, here + ".environment", "the environment the stage deploys to, as the broker names it") }
        let providers = (sequence(fields["providers"], here + ".providers") ?? []).enumerated().compactMap { string($1, "\(here).providers[\($0)]") }
        var selectors: [JSONValue] = [.object(JSONObject([("environment", .string(environment))]))]
        if let node = fields["selectors"] {
            if let value = jsonValue(node, here + ".selectors") {
                do { selectors = try ConsumerVersionSelectors.parse([JSONWriter.compact(value)], flag: here + ".selectors") } catch {
                    problem(node, here + ".selectors", error.description)
                }
            }
        }
        var pacticipants: [(name: String, version: String)] = []
        for (name, value) in mapping(fields["pacticipants"], here + ".pacticipants") ?? [] {
            guard let version = string(value, "\(here).pacticipants.\(name)"), !version.isEmpty else {
                problem(value, "\(here).pacticipants.\(name)", "the version of \(name) this stage moves")
                continue
            }
            pacticipants.append((name, version))
        }
        if providers.isEmpty && pacticipants.isEmpty {
            problem(node, here, "name providers (whose pacts the broker selects) or pacticipants (the versions asked can-i-deploy), or both")
        }
        guard problems.count == before else { return nil }
        return GateFile.Contracts.Broker(url: url, providers: providers, selectors: selectors, environment: environment, pacticipants: pacticipants)
    }

    /// `stages:` — rollout percentage → the stage's load profile, or `none`: the stage is judged
    /// on the traffic already there.
    mutating func stages(_ node: Node?, root: Node, resolve: (String) -> String) -> (profiles: [Int: String], observed: Set<Int>) {
        var stages: [Int: String] = [:]
        var observed: Set<Int> = []
        for (key, node) in mapping(node, "stages") ?? [] {
            guard let percent = Int(key), (1...100).contains(percent) else {
                problem(node, "stages.\(key)", "a stage is a rollout percentage from 1 to 100")
                continue
            }
            guard let profile = string(node, "stages.\(key)") else { continue }
            // `10:` with nothing after it is YAML's null: say which stage, not a file error later.
            guard !profile.isEmpty, profile != "~", profile.lowercased() != "null" else {
                problem(node, "stages.\(key)", "name the stage's load profile (a YAML file, relative to the gate file), or none to judge the traffic already there")
                continue
            }
            if profile == "none" { observed.insert(percent) } else { stages[percent] = resolve(profile) }
        }
        if node == nil { problem(root, "stages", "missing: the load profile of each rollout stage (e.g. 25: stage-25.yaml)") }

        return (stages, observed)
    }

    /// `a="1", b=~"x,y"` → each matcher (commas inside quotes kept).
    static func splitMatchers(_ text: String) -> [String] {
        var parts: [String] = [], current = "", quoted = false, escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; current.append(character); continue }
            if character == "\"" { quoted.toggle() }
            if character == ",", !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// `consistency:` — the tables compared, with the gate-wide `recheck_after` and `rechecks` as their defaults.
    mutating func consistencyChecks(_ values: [String: Node], resolve: (String) -> String) -> [GateFile.ConsistencyCheck] {
        let recheckAfter = values["recheck_after"].flatMap { duration($0, "recheck_after") } ?? 5
        if recheckAfter > 3_600 { problem(values["recheck_after"], "recheck_after", "at most 1h") }
        let rechecks = integer(values["rechecks"], "rechecks", in: 0...100) ?? 3
        var checks: [GateFile.ConsistencyCheck] = []
        for (index, node) in (sequence(values["consistency"], "consistency") ?? []).enumerated() {
            let here = "consistency[\(index)]"
            guard let entries = mapping(node, here, allowed: ["name", "source", "target", "columns", "map", "target_may_have_more",
                                                                     "table", "target_table", "key", "recheck_after", "rechecks"]) else { continue }
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let source = string(fields["source"], "\(here).source") ?? ""
            let target = string(fields["target"], "\(here).target") ?? ""
            let databases = GateFile.isDatabaseURL(source)
            for (field, url) in [("source", source), ("target", target)] {
                if databases ? !GateFile.isDatabaseURL(url) : !GateFile.isExportURL(url) {
                    problem(fields[field] ?? node, "\(here).\(field)", databases
                        ? "needs a postgresql:// URL, as the source"
                        : "needs an export endpoint URL (http://…/admin/export/TABLE) or, on both sides, a postgresql:// URL")
                }
            }
            let table = string(fields["table"], "\(here).table")
            let targetTable = string(fields["target_table"], "\(here).target_table")
            let key = string(fields["key"], "\(here).key")
            if databases, table == nil { problem(node, "\(here).table", "missing: the [schema.]table compared in the databases") }
            if !databases {
                for (field, given) in [("table", table), ("target_table", targetTable), ("key", key)] where given != nil {
                    problem(fields[field] ?? node, "\(here).\(field)", "is for postgresql:// sources; an export URL names its table and key")
                }
            }
            let columns = sequence(fields["columns"], "\(here).columns").map { items in
                items.enumerated().compactMap { string($1, "\(here).columns[\($0)]") }
            }
            var map: [String: String] = [:]
            for (column, renamed) in mapping(fields["map"], "\(here).map") ?? [] {
                if let renamed = string(renamed, "\(here).map.\(column)") { map[column] = renamed }
            }
            let fallbackName = databases ? table : URL(string: source)?.lastPathComponent
            checks.append(GateFile.ConsistencyCheck(name: string(fields["name"], "\(here).name") ?? fallbackName ?? "table \(index + 1)",
                                                    source: source, target: target, columns: columns, map: map,
                                                    targetMayHaveMore: bool(fields["target_may_have_more"], "\(here).target_may_have_more") ?? false,
                                                    table: table, targetTable: targetTable, key: key ?? "id",
                                                    recheckAfter: min(3_600, fields["recheck_after"].flatMap { duration($0, "\(here).recheck_after") } ?? recheckAfter),
                                                    rechecks: integer(fields["rechecks"], "\(here).rechecks", in: 0...100) ?? rechecks))
        }
        return checks
    }

    /// `metrics:` — a service's own counters, or PromQL queries (entries with `query`).
    mutating func metricChecks(_ node: Node?, prometheus: (url: String, credentials: PrometheusCredentials)?) -> ([GateFile.MetricCheck], [QueryCheck]) {
        var metrics: [GateFile.MetricCheck] = []
        var queries: [QueryCheck] = []
        for (index, node) in (sequence(node, "metrics") ?? []).enumerated() {
            let here = "metrics[\(index)]"
            if case .mapping(let mapping) = node, mapping.keys.contains(where: { $0.string == "query" }) {
                if let check = queryCheck(node, here, index: index, prometheus: prometheus) { queries.append(check) }
                continue
            }
            guard let entries = mapping(node, here, allowed: ["name", "url", "counter", "labels", "selector", "errors", "threshold", "action"]) else { continue }
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let url = string(fields["url"], "\(here).url") ?? ""
            if TargetURL(url) == nil { problem(fields["url"] ?? node, "\(here).url", "needs the service's http(s):// metrics URL") }
            var labels: [String: String] = [:]
            for (label, value) in mapping(fields["labels"], "\(here).labels") ?? [] {
                if let text = string(value, "\(here).labels.\(label)") { labels[label] = text }
            }
            // `selector: 'route!="/metrics", status=~"2.."'`: PromQL's label matchers.
            var matchers: [LabelMatcher] = []
            if let selector = string(fields["selector"], "\(here).selector") {
                for part in Self.splitMatchers(selector) {
                    switch LabelMatcher.parse(part) {
                    case .success(let matcher): matchers.append(matcher)
                    case .failure(let problem): self.problem(fields["selector"], "\(here).selector", problem.reason)
                    }
                }
            }
            // `errors: {status: 5xx}`: a label, and the prefix (before the x's) its value starts with on errors.
            var errorLabel = "status", errorPrefix = "5"
            if let errors = mapping(fields["errors"], "\(here).errors") {
                if errors.count != 1 { problem(fields["errors"], "\(here).errors", "one label and the value errors have, e.g. {status: 5xx}") }
                if let (label, value) = errors.first, let text = string(value, "\(here).errors.\(label)") {
                    errorLabel = label
                    errorPrefix = String(text.prefix { $0 != "x" && $0 != "X" })
                    if errorPrefix.isEmpty { problem(value, "\(here).errors.\(label)", "give the value's start, e.g. 5xx") }
                }
            }
            let threshold = number(fields["threshold"], "\(here).threshold", in: 0...100)
            if fields["threshold"] == nil { problem(node, "\(here).threshold", "missing: the largest acceptable error share, in percent") }
            var action = TriggerKind.serviceMetric.defaultAction
            if let text = string(fields["action"], "\(here).action") {
                if let chosen = RolloutAction(rawValue: text) { action = chosen } else {
                    problem(fields["action"], "\(here).action", "one of \(RolloutAction.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            metrics.append(GateFile.MetricCheck(name: string(fields["name"], "\(here).name") ?? "metric \(index + 1)", url: url,
                                                rate: CounterErrorRate(counter: string(fields["counter"], "\(here).counter") ?? "http_requests_total",
                                                                       labels: labels, errorLabel: errorLabel, errorPrefix: errorPrefix, matchers: matchers),
                                                threshold: threshold ?? 0, action: action))
        }
        return (metrics, queries)
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
    /// One provider's implementations: a URL, a mapping, or a list of either (several
    /// implementations under one name, each verified and reported apart).
    mutating func contractProviders(_ name: String, _ node: Node) -> [GateFile.Contracts.Provider] {
        guard case .sequence = node else { return contractProvider(name, node, field: "contracts.providers.\(name)").map { [$0] } ?? [] }
        let items = sequence(node, "contracts.providers.\(name)") ?? []
        if items.isEmpty { problem(node, "contracts.providers.\(name)", "list at least one implementation") }
        let found = items.enumerated().compactMap { contractProvider(name, $1, field: "contracts.providers.\(name)[\($0)]") }
        let labels = found.map { $0.label ?? $0.url }
        if Set(labels).count < labels.count { problem(node, "contracts.providers.\(name)", "give each implementation a distinct label (or URL)") }
        return found
    }

    mutating func contractProvider(_ name: String, _ node: Node, field: String) -> GateFile.Contracts.Provider? {
        if case .scalar = node {
            guard let url = string(node, field) else { return nil }
            if TargetURL(url) == nil { problem(node, field, "not an http:// or https:// URL: '\(url)'") }
            return GateFile.Contracts.Provider(name: name, url: url)
        }
        let allowed: Set<String> = ["url", "base_url", "verification_url", "label", "state_change_url", "headers", "state_change_headers"]
        guard let entries = mapping(node, field, allowed: allowed) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        if fields["url"] != nil, fields["base_url"] != nil { problem(fields["base_url"], field + ".base_url", "give url or base_url, not both") }
        guard let url = string(fields["url"] ?? fields["base_url"], field + ".url") else {
            problem(node, field + ".url", "missing: the provider's base URL")
            return nil
        }
        if TargetURL(url) == nil { problem(fields["url"] ?? fields["base_url"], field + ".url", "not an http:// or https:// URL: '\(url)'") }
        var provider = GateFile.Contracts.Provider(name: name, url: url)
        if let verification = string(fields["verification_url"], field + ".verification_url") {
            if TargetURL(verification) == nil { problem(fields["verification_url"], field + ".verification_url", "not an http:// or https:// URL: '\(verification)'") }
            provider.verificationURL = verification
        }
        provider.label = string(fields["label"], field + ".label")
        if let state = string(fields["state_change_url"], field + ".state_change_url") {
            // A path is on the URL the pacts are replayed against.
            let base = provider.replayURL
            let full = state.hasPrefix("/") ? (base.hasSuffix("/") ? String(base.dropLast()) : base) + state : state
            if TargetURL(full) == nil { problem(fields["state_change_url"], field + ".state_change_url", "not an http(s):// URL or a path starting with '/': '\(state)'") }
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
