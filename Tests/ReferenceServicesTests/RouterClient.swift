import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import ReferenceServices
import Synchronization

/// Sends requests straight to a router's responder in this process — no socket, no server — as
/// Hummingbird's router test mode does, without its testing library: that links an HTTP client
/// and TLS (AsyncHTTPClient, NIOSSL, BoringSSL) the suite never uses, 109 s of a clean debug
/// build on 2 cores.
struct RouterClient: Sendable {
    let responder: RouterResponder<ServiceContext>
    let logger = Logger(label: "router-client", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> Answer {
        var fields = headers
        if let body { fields[.contentLength] = String(body.readableBytes) }
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: fields),
                              body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = ServiceContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            // The router answers the errors it knows (HTTPResponseError); anything else is a 500, as on a server.
            response = Response(status: .internalServerError)
        }
        let collected = CollectedBody()
        try await response.body.write(collected)
        return Answer(status: response.status, headers: response.headers, body: collected.buffer.withLock { $0 })
    }
}

/// The response body as the router writes it.
private struct CollectedBody: ResponseBodyWriter {
    let buffer = SharedBuffer()

    mutating func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.withLock { _ = $0.writeBuffer(&part) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// A buffer the body writer (a struct, passed by value) and its reader share.
private final class SharedBuffer: Sendable {
    private let storage = Mutex(ByteBuffer())
    func withLock<T>(_ body: (inout ByteBuffer) -> T) -> T { storage.withLock { body(&$0) } }
}
