import ContractCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The stub's HTTP/1.1 server: SwiftNIO's parser and encoder and one handler that answers on
/// the connection's event loop (no task per request, no router), as the load engine's client is
/// built. Keep-alive and pipelining as clients expect; a malformed request is a 400 and a body
/// over the configuration's `maxBodyBytes` a 413, each closing the connection.
final class StubHTTPServer: Sendable {
    let port: Int
    private let listener: any Channel
    private let connections: OpenConnections

    /// Bodies this large are matched on SwiftNIO's blocking pool, so one large request does not
    /// hold up the other connections on its loop.
    static let offLoopBodyBytes = 64 * 1024

    /// Where requests are matched off the event loops: wider than the cores, so a few requests
    /// that make a regex backtrack for seconds leave threads for everyone else.
    static let matching: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    private init(port: Int, listener: any Channel, connections: OpenConnections) {
        self.port = port
        self.listener = listener
        self.connections = connections
    }

    /// Listens on `host:port` (0 picks a free port) and answers with `responder`.
    static func start(host: String, port: Int, responder: StubResponder) async throws -> StubHTTPServer {
        let connections = OpenConnections()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StubChannelHandler(responder: responder))
                }
            }
        let listener = try await bootstrap.bind(host: host, port: port).get()
        return StubHTTPServer(port: listener.localAddress?.port ?? port, listener: listener, connections: connections)
    }

    /// Stops listening, then closes every connection (a request being answered is answered first
    /// when its response is already written; a stub holds no work worth waiting for).
    func stop() async {
        try? await listener.close()
        await connections.closeAll()
    }
}

/// The connections a server has open, so stopping it closes them.
private final class OpenConnections: Sendable {
    private let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [open] _ in _ = open.withLockedValue { $0.removeValue(forKey: id) } }
    }

    func closeAll() async {
        let channels = open.withLockedValue { Array($0.values) }
        for channel in channels {
            channel.close(promise: nil)
            try? await channel.closeFuture.get()
        }
    }
}

/// Reads a request (head, body up to the limit, end), answers it with the responder, writes the
/// answer. HTTP/1.1 keeps the connection open unless the client asks otherwise; SwiftNIO's
/// pipelining handler holds a pipelined request back until the previous one is answered.
private final class StubChannelHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: StubResponder
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(responder: StubResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > responder.configuration.maxBodyBytes {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                let answer = StubResponder.json(.object(JSONObject([("error", .string("the request body is over \(responder.configuration.maxBodyBytes) bytes"))])), status: 413)
                return write(answer, for: head, keepAlive: false, context: context)
            }
            let (path, query) = Self.split(head.uri)
            let request = StubRequest(method: head.method.rawValue, path: path, query: query, headers: head.headers, body: body)
            body = nil
            if (request.body?.readableBytes ?? 0) < StubHTTPServer.offLoopBodyBytes, !responder.registry.current.matchesByRegex {
                write(responder.answer(request), for: head, keepAlive: head.isKeepAlive, context: context)
            } else {
                // A large body, or any request when regexes match requests, is matched on the stub's
                // own pool (never the event loop, never a busy cooperative pool); the answer is
                // written back on the connection's loop, in order (the pipelining handler holds the next).
                let responder = self.responder, loop = context.eventLoop
                let bound = NIOLoopBound((self, context), eventLoop: loop)
                StubHTTPServer.matching.runIfActive(eventLoop: loop) { responder.answer(request) }.whenComplete { result in
                    let (handler, context) = bound.value
                    switch result {
                    case .success(let answer): handler.write(answer, for: head, keepAlive: head.isKeepAlive, context: context)
                    case .failure: context.close(promise: nil)
                    }
                }
            }
        }
    }

    /// A malformed request (SwiftNIO has answered it 400) or a broken connection: close it.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func write(_ answer: StubAnswer, for request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = answer.headers
        headers.replaceOrAdd(name: "content-length", value: String(answer.body.readableBytes))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        // A HEAD request is told the length of the body it does not get.
        if request.method != .HEAD, answer.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// The path and query of a request target (origin form `/p?q`, or absolute form `http://h/p?q`).
    static func split(_ target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterHost = rest[scheme.upperBound...]
            rest = afterHost.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterHost[$0...] } ?? ""
        }
        guard let mark = rest.firstIndex(of: "?") else { return (rest.isEmpty ? "/" : String(rest), nil) }
        let path = rest[..<mark]
        return (path.isEmpty ? "/" : String(path), String(rest[rest.index(after: mark)...]))
    }
}
