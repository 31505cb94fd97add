import Foundation
package import SLO

/// How a PromQL value passes: `value OP threshold`.
package enum Comparison: String, Sendable, CaseIterable {
    case below = "<", atMost = "<=", above = ">", atLeast = ">="

    package func holds(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .below: return value < threshold
        case .atMost: return value <= threshold
        case .above: return value > threshold
        case .atLeast: return value >= threshold
        }
    }
}

/// A gate trigger that is a PromQL query, judged as Argo Rollouts' AnalysisTemplates and
/// Flagger's MetricTemplates judge theirs: `count` measurements `interval` seconds apart while
/// the stage's load runs; more than `failureLimit` failed measurements breach the trigger, more
/// than `inconclusiveLimit` inconclusive ones (no series, NaN, several series, an error) make it
/// inconclusive — the gate pauses, it never passes on missing data.
package struct QueryCheck: Sendable {
    package var name: String
    /// The Prometheus server's base URL (`http://host:9090`).
    package var prometheus: String
    /// As written in the gate file, with `${window}`, `${stage}` and `${percent}` unfilled.
    package var query: String
    package var comparison: Comparison
    package var threshold: Double
    /// Seconds between measurements; nil: one measurement when the load has ended.
    package var interval: Double?
    package var count: Int
    /// Set: after the load, one `query_range` over the whole load at this step, each point of
    /// the one series a measurement (instead of instant queries).
    package var rangeStep: Double?
    package var failureLimit: Int
    package var inconclusiveLimit: Int
    package var action: RolloutAction
    /// Where credentials come from: names of environment variables, never their values.
    package var credentials: PrometheusCredentials

    package init(name: String, prometheus: String, query: String, comparison: Comparison, threshold: Double, interval: Double?, count: Int,
                rangeStep: Double? = nil, failureLimit: Int, inconclusiveLimit: Int, action: RolloutAction, credentials: PrometheusCredentials) {
        self.name = name
        self.prometheus = prometheus
        self.query = query
        self.comparison = comparison
        self.threshold = threshold
        self.interval = interval
        self.count = count
        self.rangeStep = rangeStep
        self.failureLimit = failureLimit
        self.inconclusiveLimit = inconclusiveLimit
        self.action = action
        self.credentials = credentials
    }

    /// The query with the stage's values filled in: `${window}` is the time since the stage's
    /// load began (the whole load, for a measurement after it) as a Prometheus duration (whole
    /// seconds, rounded up, at least 1 s), `${stage}` and `${percent}` the stage.
    package func filled(window seconds: Double, stage: Int) -> String {
        query.replacingOccurrences(of: "${window}", with: "\(max(1, Int(seconds.rounded(.up))))s")
            .replacingOccurrences(of: "${stage}", with: "\(stage)")
            .replacingOccurrences(of: "${percent}", with: "\(stage)")
    }

    /// The condition as a reader sees it: `result < 0.01`.
    package var condition: String { "result \(comparison.rawValue) \(Self.format(threshold))" }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// Names of the environment variables that hold a Prometheus credential.
package struct PrometheusCredentials: Sendable, Equatable {
    package var bearerTokenVariable: String?
    package var usernameVariable: String?
    package var passwordVariable: String?

    package init(bearerTokenVariable: String? = nil, usernameVariable: String? = nil, passwordVariable: String? = nil) {
        self.bearerTokenVariable = bearerTokenVariable
        self.usernameVariable = usernameVariable
        self.passwordVariable = passwordVariable
    }

    /// The `Authorization` header these variables make, if any.
    package func authorization(from environment: [String: String]) -> String? {
        if let name = bearerTokenVariable, let token = environment[name], !token.isEmpty { return "Bearer \(token)" }
        if let user = usernameVariable.flatMap({ environment[$0] }), let password = passwordVariable.flatMap({ environment[$0] }) {
            return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        return nil
    }
}

/// One measurement of a query: its value, or why it has none (as the gate report holds it).
package typealias QueryMeasurement = GateReport.QueryReading.Measurement

/// A query's measurements judged: the trigger's outcome and its evidence.
package struct QueryJudgement: Sendable, Equatable {
    package var failed: Int
    package var inconclusive: Int
    package var breached: Bool
    /// Set when too many measurements had no value (and the trigger is not breached).
    package var inconclusiveReason: String?
    /// The value shown: the worst measured value (the one furthest on the failing side).
    package var value: Double
    package var evidence: String
}

/// A PromQL trigger once its measurements are in: judged once, for the trigger and the report alike.
package struct JudgedQuery: Sendable {
    package let check: QueryCheck
    /// The query as last sent (`${window}`, `${stage}` filled).
    package let sent: String
    package let measurements: [QueryMeasurement]
    package let judgement: QueryJudgement

    package init(check: QueryCheck, sent: String, measurements: [QueryMeasurement]) {
        self.check = check
        self.sent = sent
        self.measurements = measurements
        judgement = check.judge(measurements, filledQuery: sent)
    }

    /// What the report shows of it.
    package var reading: GateReport.QueryReading {
        GateReport.QueryReading(name: check.name, query: check.query, sent: sent, prometheus: check.prometheus, condition: check.condition,
                                measurements: measurements, failed: judgement.failed, inconclusive: judgement.inconclusive)
    }
}

extension QueryCheck {
    /// Judges `measurements` as Argo does: failures over the limit breach, inconclusive
    /// measurements over theirs (or none at all) make the trigger inconclusive.
    package func judge(_ measurements: [QueryMeasurement], filledQuery: String) -> QueryJudgement {
        let values = measurements.compactMap(\.value)
        let failed = values.filter { !comparison.holds($0, threshold) }.count
        let inconclusive = measurements.count - values.count
        let breached = failed > failureLimit
        var reason: String?
        if !breached {
            if measurements.isEmpty {
                reason = "no measurement was taken"
            } else if inconclusive > inconclusiveLimit {
                let problems = Array(Set(measurements.compactMap(\.problem))).sorted()
                reason = "\(inconclusive) of \(measurements.count) measurement(s) had no value (limit \(inconclusiveLimit)): \(problems.joined(separator: "; "))"
            }
        }
        // The value furthest on the failing side (the highest for `<`, the lowest for `>`).
        let worst: Double
        switch comparison {
        case .below, .atMost: worst = values.max() ?? .nan
        case .above, .atLeast: worst = values.min() ?? .nan
        }
        let samples = measurements.map { m in
            let when = String(format: "%.0fs", m.at)
            if let value = m.value { return "\(when) \(Self.format(value))\(comparison.holds(value, threshold) ? "" : " ✗")" }
            return "\(when) — (\(m.problem ?? "no value"))"
        }
        let evidence = "\(filledQuery) at \(prometheus): \(condition); \(failed) failed (limit \(failureLimit)), \(inconclusive) inconclusive (limit \(inconclusiveLimit)); measurements: "
            + samples.joined(separator: ", ")
        return QueryJudgement(failed: failed, inconclusive: inconclusive, breached: breached, inconclusiveReason: reason, value: worst, evidence: evidence)
    }
}

/// What Prometheus' `/api/v1/query` answered, as one number or why there is none: one series
/// (or a scalar) is a value; no series, several, NaN or ±Inf are not.
package enum PrometheusAnswer {
    /// Reads the JSON body of `/api/v1/query_range`: the points of its one series (Unix time,
    /// value; nil where the value is NaN or ±Inf), or why there are none.
    package static func series(of body: [UInt8], status: Int) -> (points: [(time: Double, value: Double?)], problem: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return ([], "Prometheus answered \(status) with no JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
            return ([], "Prometheus answered \(status), \(object["errorType"] as? String ?? "error"): \(object["error"] as? String ?? "no reason given")")
        }
        guard data["resultType"] as? String == "matrix" else { return ([], "the range query returned no series of points") }
        let series = data["result"] as? [[String: Any]] ?? []
        if series.isEmpty { return ([], "the query returned no series") }
        if series.count > 1 { return ([], "the query returned \(series.count) series where one was expected: aggregate it, e.g. sum(…)") }
        let points = (series[0]["values"] as? [[Any]] ?? []).compactMap { pair -> (time: Double, value: Double?)? in
            guard pair.count == 2, let time = (pair[0] as? NSNumber)?.doubleValue, let text = pair[1] as? String else { return nil }
            return (time, Double(text).flatMap { $0.isFinite ? $0 : nil })
        }
        return points.isEmpty ? ([], "the series has no points") : (points, nil)
    }

    /// Reads the JSON body of `/api/v1/query` (status 200 or an error document).
    package static func value(of body: [UInt8], status: Int) -> (value: Double?, problem: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return (nil, "Prometheus answered \(status) with no JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
            let kind = object["errorType"] as? String ?? "error"
            return (nil, "Prometheus answered \(status), \(kind): \(object["error"] as? String ?? "no reason given")")
        }
        let type = data["resultType"] as? String ?? ""
        let text: String?
        switch type {
        case "scalar":
            text = (data["result"] as? [Any])?.last as? String
        case "vector":
            let series = data["result"] as? [[String: Any]] ?? []
            if series.isEmpty { return (nil, "the query returned no series") }
            if series.count > 1 {
                let names = series.prefix(3).map { ($0["metric"] as? [String: Any] ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",") }
                return (nil, "the query returned \(series.count) series where one was expected ({\(names.joined(separator: "}, {"))}…): aggregate it, e.g. sum(…)")
            }
            text = (series[0]["value"] as? [Any])?.last as? String
        default:
            return (nil, "the query returned a \(type.isEmpty ? "result of no type" : type), not one number: use an instant vector or a scalar")
        }
        guard let text, let value = Double(text) else { return (nil, "the answer holds no number") }
        guard value.isFinite else { return (nil, "the query's value is \(text) (e.g. a ratio of nothing to nothing)") }
        return (value, nil)
    }
}
