import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// A service's metrics in Prometheus text format, kept by swift-prometheus: request counts and
/// latency histograms by method, route and status (`http_requests_total`,
/// `http_request_duration_seconds`, and `http_errors_total` for 5xx answers, as the migration
/// guide's rollback step queries them), and the service's own counters and histograms. Labels
/// come from route patterns and a fixed method list, so clients cannot grow the number of
/// series (and `/metrics`) by sending new paths or methods.
package final class MetricsRegistry: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let service: String
    /// More exposition text appended (counters kept elsewhere, e.g. the dual writer's).
    private let extra: @Sendable () -> String
    /// Request latency buckets, in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private static let buckets = bounds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }

    package init(service: String, extra: @escaping @Sendable () -> String = { "" }) {
        self.service = service
        self.extra = extra
    }

    func record(method: String, route: String, status: Int, seconds: Double) {
        let labels = [("service", service), ("method", Self.standardMethods.contains(method) ? method : "OTHER"), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: Self.requests.descriptor, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Self.duration.descriptor, labels: labels, buckets: Self.buckets)
            .recordNanoseconds(Int64((max(0, seconds) * 1e9).rounded()))
        if status >= 500 { registry.makeCounter(descriptor: Self.errors.descriptor, labels: labels).increment() }
    }

    /// A counter of this service's own (`name` ending in `_total`), by `labels`.
    func counter(_ name: MetricName, labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: name.descriptor, labels: [("service", service)] + labels)
    }

    /// A histogram of this service's own, in seconds, with the given upper bounds.
    func histogram(_ name: MetricName, buckets: [Double], labels: [(String, String)] = []) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: name.descriptor, labels: [("service", service)] + labels,
                                       buckets: buckets.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) })
    }

    /// The Prometheus exposition text.
    package func render() -> String { registry.emitToString() + extra() }

    static let standardMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    static let requests = MetricName(metricName: "http_requests", unitName: "total", helpText: "Requests handled, by method, route and status.")
    static let errors = MetricName(metricName: "http_errors", unitName: "total", helpText: "Requests answered with a 5xx status, by method, route and status.")
    static let duration = MetricName(metricName: "http_request_duration", unitName: "seconds", helpText: "Time to handle a request.")
}

/// A metric's name (`metricName_unitName`) and help text; swift-prometheus' own descriptor is
/// not `Sendable`, so it is made where it is used.
struct MetricName: Sendable {
    let metricName: String
    let unitName: String
    let helpText: String

    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: metricName, unitName: unitName, helpText: helpText) }
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
        return try await answering(request, context, next, record)
    }
}

/// Counts one operation's outcomes and times it, as the migration guide instruments order
/// creation (`orders_created_total{status}`, `order_creation_duration_seconds`): requests other
/// than `method path` pass through untouched.
struct OperationMetrics: RouterMiddleware {
    let method: HTTPRequest.Method
    let path: String
    let registry: MetricsRegistry
    let counter: MetricName
    let histogram: (name: MetricName, buckets: [Double])?
    /// The counter's label for the outcome (`status` as the guide names it for orders).
    var label = "status"
    /// The outcome of an answer with this HTTP status.
    let outcome: @Sendable (Int) -> String

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        guard request.method == method, request.uri.path == path else { return try await next(request, context) }
        let start = ContinuousClock.now
        func record(_ status: Int) {
            registry.counter(counter, labels: [(label, outcome(status))]).increment()
            if let histogram {
                let elapsed = ContinuousClock.now - start
                registry.histogram(histogram.name, buckets: histogram.buckets).record(elapsed)
            }
        }
        return try await answering(request, context, next, record)
    }
}

/// Runs `next` and tells `record` the status of the answer: the response's, an HTTP error's, or
/// 500 for any other error (which Hummingbird answers with 500).
func answering(_ request: Request, _ context: ServiceContext, _ next: (Request, ServiceContext) async throws -> Response,
               _ record: (Int) -> Void) async throws -> Response {
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
