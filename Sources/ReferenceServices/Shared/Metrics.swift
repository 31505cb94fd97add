import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Request counts and latency histograms by method, route and status, in Prometheus text format.
/// Labels come from route patterns and a fixed method list, so clients cannot grow the
/// number of series (and `/metrics`) by sending new paths or methods.
public final class MetricsRegistry: Sendable {
    private struct Key: Hashable { let method: String, route: String, status: Int }
    private struct Series { var count = 0; var sum = 0.0; var buckets: [Int] }
    /// Upper bounds in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let series = Mutex<[Key: Series]>([:])
    private let service: String
    /// More exposition text appended to the request metrics (counters kept elsewhere).
    private let extra: @Sendable () -> String

    public init(service: String, extra: @escaping @Sendable () -> String = { "" }) {
        self.service = service
        self.extra = extra
    }

    func record(method: String, route: String, status: Int, seconds: Double) {
        let key = Key(method: Self.standardMethods.contains(method) ? method : "OTHER", route: route, status: status)
        series.withLock { series in
            var entry = series[key] ?? Series(buckets: Array(repeating: 0, count: Self.bounds.count))
            entry.count += 1
            entry.sum += seconds
            for (i, bound) in Self.bounds.enumerated() where seconds <= bound { entry.buckets[i] += 1 }
            series[key] = entry
        }
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        let snapshot = series.withLock { series in
            series.sorted { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }
        }
        var out = "# HELP http_requests_total Requests handled, by method, route and status.\n# TYPE http_requests_total counter\n"
        for (key, value) in snapshot {
            out += "http_requests_total{\(labels(key))} \(value.count)\n"
        }
        out += "# HELP http_request_duration_seconds Time to handle a request.\n# TYPE http_request_duration_seconds histogram\n"
        for (key, value) in snapshot {
            let l = labels(key)
            for (i, bound) in Self.bounds.enumerated() {
                out += "http_request_duration_seconds_bucket{\(l),le=\"\(bound)\"} \(value.buckets[i])\n"
            }
            out += "http_request_duration_seconds_bucket{\(l),le=\"+Inf\"} \(value.count)\n"
            out += "http_request_duration_seconds_sum{\(l)} \(value.sum)\n"
            out += "http_request_duration_seconds_count{\(l)} \(value.count)\n"
        }
        return out + extra()
    }

    static let standardMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private func labels(_ key: Key) -> String {
        "service=\"\(service)\",method=\"\(key.method)\",route=\"\(key.route)\",status=\"\(key.status)\""
    }
}

/// Records every request in a `MetricsRegistry`, by its route pattern (not the raw path).
struct MetricsMiddleware: RouterMiddleware {
    let registry: MetricsRegistry
    /// Path prefixes this service forwards elsewhere (the gateway's), labelled `PREFIX/**`.
    var proxiedPrefixes: [String] = []

    /// The route label of a request no route matched: its proxied prefix, else `unmatched`.
    func label(unmatched path: String) -> String {
        proxiedPrefixes.first { path == $0 || path.hasPrefix($0 + "/") }.map { $0 + "/**" } ?? "unmatched"
    }

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        func record(_ status: Int) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            registry.record(method: request.method.rawValue, route: context.endpointPath ?? label(unmatched: request.uri.path), status: status, seconds: seconds)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            record(error.status.code)
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
