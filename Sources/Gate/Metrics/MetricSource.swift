package import Foundation
import Transport
import TransportHTTP

/// Where a gate's metric triggers are read: a service's own `/metrics` (counters compared
/// before and after the load) and a Prometheus server's query API.
package protocol MetricSource: Sendable {
    /// The samples at `url` now.
    func samples(at url: String) async throws -> [PrometheusSample]
    /// `query` evaluated now by the Prometheus server at `prometheus`: one number, or why not.
    func query(_ query: String, prometheus: String, authorization: String?) async -> (value: Double?, problem: String?)
    /// `query` over `start…end` at `step` seconds: the points of its one series, or why none.
    func queryRange(_ query: String, prometheus: String, authorization: String?, start: Date, end: Date, step: Double) async
        -> (points: [(time: Double, value: Double?)], problem: String?)
}

/// Both over HTTP: a service's Prometheus text, and Prometheus' `/api/v1/query`.
package struct HTTPMetricSource: MetricSource {
    private let pool = HTTPClientPool()

    package init() {}

    package func samples(at url: String) async throws -> [PrometheusSample] {
        let response: HTTPClientResponse
        do { response = try await pool.send(HTTPClientRequest(url: url, headers: [("Accept", "text/plain")], timeout: 10)) } catch {
            throw GateSetupError("cannot read \(Redaction.url(url)): \(Redaction.scrub("\(error)", url: url))")
        }
        guard response.status == 200 else { throw GateSetupError("\(Redaction.url(url)) answered \(response.status)") }
        return PrometheusText.samples(String(decoding: response.body, as: UTF8.self))
    }

    package func query(_ query: String, prometheus: String, authorization: String?) async -> (value: Double?, problem: String?) {
        switch await post("/api/v1/query", ["query": query], prometheus: prometheus, authorization: authorization) {
        case .failure(let problem): return (nil, problem.description)
        case .success(let response):
            // Prometheus' error text may echo what it was sent (a proxy in front of it, the credential).
            let answer = PrometheusAnswer.value(of: response.body, status: response.status)
            return (answer.value, answer.problem.map { Redaction.text($0, secrets: [authorization].compactMap { $0 }) })
        }
    }

    package func queryRange(_ query: String, prometheus: String, authorization: String?, start: Date, end: Date, step: Double) async
        -> (points: [(time: Double, value: Double?)], problem: String?) {
        let form = ["query": query, "start": String(format: "%.3f", start.timeIntervalSince1970), "end": String(format: "%.3f", end.timeIntervalSince1970),
                    "step": String(format: "%.3f", step)]
        switch await post("/api/v1/query_range", form, prometheus: prometheus, authorization: authorization) {
        case .failure(let problem): return ([], problem.description)
        case .success(let response):
            let answer = PrometheusAnswer.series(of: response.body, status: response.status)
            return (answer.points, answer.problem.map { Redaction.text($0, secrets: [authorization].compactMap { $0 }) })
        }
    }

    /// A form POST to Prometheus' API: its answer, or why there is none.
    private func post(_ path: String, _ form: [String: String], prometheus: String, authorization: String?) async -> Result<HTTPClientResponse, GateSetupError> {
        let base = prometheus.hasSuffix("/") ? String(prometheus.dropLast()) : prometheus
        // Everything but the unreserved characters escaped: PromQL's `+`, `&`, `=` are its own.
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let body = form.sorted { $0.key < $1.key }.map { "\($0.key)=" + ($0.value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "") }.joined(separator: "&")
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        let response: HTTPClientResponse
        do {
            response = try await pool.send(HTTPClientRequest(method: "POST", url: base + path, headers: headers, body: Array(body.utf8),
                                                             timeout: 10, maxResponseBytes: 8 << 20))
        } catch {
            return .failure(GateSetupError("cannot reach Prometheus at \(Redaction.url(base)): \(Redaction.text("\(error)", secrets: [authorization].compactMap { $0 } + Redaction.secrets(in: base)))"))
        }
        if response.status == 401 || response.status == 403 {
            return .failure(GateSetupError("Prometheus at \(Redaction.url(base)) answered \(response.status): check the credential the gate file names"))
        }
        return .success(response)
    }
}
