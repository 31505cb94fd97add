import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import NIOCore
import TransportPostgres

/// The request context every reference service uses: the correlation id that ties a purchase's
/// calls and events together, and the caller's address (for sticky routing).
package struct ServiceContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var correlationID: String = ""
    package let remoteAddress: String?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Takes `X-Correlation-ID` from the request or makes one, and echoes it on the response.
struct CorrelationMiddleware: RouterMiddleware {
    static let header = HTTPField.Name("X-Correlation-ID")!

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        var context = context
        context.correlationID = request.headers[Self.header] ?? UUID().uuidString.lowercased()
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = context.correlationID
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.header] = context.correlationID
            return response
        }
    }
}

/// Turns anything that is not an API error into a logged 500 with the standard error body,
/// so clients never see a bare stack of framework text.
struct ErrorMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, !(error is APIError) {
                throw APIError(.notFound, "not_found", "no route for \(request.method) \(request.uri.path)")
            }
            if error.status == .methodNotAllowed, !(error is APIError) {
                throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            }
            throw error
        } catch let error as PostgresError where error.isUnavailable {
            context.logger.error("\(request.method) \(request.uri.path): database unavailable: \(error)")
            throw APIError(.serviceUnavailable, "database_unavailable", "the database is not reachable right now; retry later")
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw APIError(.internalServerError, "internal_error", "the service failed to handle the request")
        }
    }
}
