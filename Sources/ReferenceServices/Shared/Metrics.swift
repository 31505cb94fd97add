import Foundation
import HTTPTypes
import Hummingbird

/// Request counts and latency histograms by method, route and status, in Prometheus text format.
public final class MetricsRegistry: @unchecked Sendable {
    private struct Key: Hashable { let method: String, route: String, status: Int }
    private struct Series { var count = 0; var sum = 0.0; var buckets: [Int] }
    /// Upper bounds in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let lock = NSLock()
    private var series: [Key: Series] = [:]
    private let service: String

    public init(service: String) { self.service = service }

    func record(method: String, route: String, status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(method: method, route: route, status: status)
        var entry = series[key] ?? Series(buckets: Array(repeating: 0, count: Self.bounds.count))
        entry.count += 1
        entry.sum += seconds
        for (i, bound) in Self.bounds.enumerated() where seconds <= bound { entry.buckets[i] += 1 }
        series[key] = entry
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        lock.lock()
        let snapshot = series.sorted { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }
        lock.unlock()
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
        return out
    }

    private func labels(_ key: Key) -> String {
        "service=\"\(service)\",method=\"\(key.method)\",route=\"\(key.route)\",status=\"\(key.status)\""
    }
}

/// Records every request in a `MetricsRegistry`, by its route pattern (not the raw path).
struct MetricsMiddleware: RouterMiddleware {
    let registry: MetricsRegistry

    /// A route label for requests no route matched (proxied or unknown): `/api/v1/orders/**`.
    static func prefix(_ path: String) -> String {
        let parts = path.split(separator: "/").prefix(3)
        return parts.count == 3 ? "/" + parts.joined(separator: "/") + "/**" : "unmatched"
    }

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        func record(_ status: Int) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            registry.record(method: request.method.rawValue, route: context.endpointPath ?? Self.prefix(request.uri.path), status: status, seconds: seconds)
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
