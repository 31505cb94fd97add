import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
package import ServerRuntime

/// A service's router with what every service answers: `/health`, `/ready`, `/metrics`,
/// correlation ids, request metrics and the standard error body.
func makeServiceRouter(name: String, metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions(),
                       proxiedPrefixes: [String] = [], readiness: [String: @Sendable () async -> Bool]) -> Router<ServiceContext> {
    let router = Router(context: ServiceContext.self)
    router.add(middleware: MetricsMiddleware(registry: metrics, proxiedPrefixes: proxiedPrefixes))
    router.add(middleware: CorrelationMiddleware())
    router.add(middleware: ErrorMiddleware())
    let breakages = options.breakages(for: name)
    if !breakages.isEmpty { router.add(middleware: BreakageMiddleware(breakages: breakages)) }
    router.get("/health") { _, _ in try JSON.response(["status": "ok", "service": name]) }
    router.get("/ready") { _, _ in
        var checks: [String: String] = [:]
        for (dependency, check) in readiness { checks[dependency] = await check() ? "up" : "down" }
        let ready = !checks.values.contains("down")
        return try JSON.response(ReadyBody(status: ready ? "ready" : "not_ready", service: name, checks: checks),
                                 status: ready ? .ok : .serviceUnavailable)
    }
    if let document = ServiceAPIDocument.json(for: name) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
    return router
}

/// Lets only service-to-service callers (a `role: service` or admin token) through: 401
/// without a valid token, 403 with a customer's.
struct InternalCallersOnly: RouterMiddleware {
    let signer: JWTSigner

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        _ = try signer.claims(request.header("Authorization"), requiring: Role.internalCallers)
        return try await next(request, context)
    }
}

struct ReadyBody: Codable { let status: String; let service: String; let checks: [String: String] }

/// A reference service listening on a port.
package typealias RunningService = RunningServer

/// A service that could not start (typically: the port is taken).
package typealias ServiceStartError = ServerStartError
