import Foundation
import SLO
import Steps
import Yams

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
