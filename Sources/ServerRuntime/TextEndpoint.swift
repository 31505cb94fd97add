import Hummingbird
import Synchronization

/// One text document served at `GET /metrics`, replaced whenever its owner has a newer one:
/// how `tollgate load --metrics-addr` lets a Prometheus scrape a running load.
package final class TextEndpoint: Sendable {
    /// The document served; the router reads it, `update` replaces it.
    private final class Document: Sendable {
        let text = Mutex("")
    }

    private let document: Document
    private let server: RunningServer

    package var url: String { server.url + "/metrics" }

    private init(document: Document, server: RunningServer) {
        self.document = document
        self.server = server
    }

    /// Starts serving on `host:port` (port 0 picks a free one), an empty document until `update`.
    package static func start(host: String, port: Int, contentType: String = "text/plain; version=0.0.4; charset=utf-8") async throws -> TextEndpoint {
        let document = Document()
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: document.text.withLock { $0 })))
        }
        return TextEndpoint(document: document, server: try await RunningServer.start(name: "metrics", router: router, host: host, port: port))
    }

    package func update(_ text: String) { document.text.withLock { $0 = text } }

    package func stop() async { await server.stop(within: 1) }
}
