import NIOCore
import NIOHTTP1
import NIOPosix

/// A response as the connection collected it.
struct CollectedResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
}

/// Why a request got no response.
struct RequestFailure: Error {
    enum Kind { case connect, timeout, reset, other }
    let kind: Kind
    let message: String
}

/// Collects one response at a time on a keep-alive HTTP/1.1 connection and hands it to the
/// waiting callback. Lives on its channel's event loop.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var waiting: ((Result<CollectedResponse, RequestFailure>) -> Void)?
    private var response = CollectedResponse(status: 0, headers: [:], body: [])
    private var keepBody = false
    private var bodyLimit = 0
    /// False once the server said `Connection: close` or the channel went away.
    private(set) var reusable = true

    func expect(keepBody: Bool, bodyLimit: Int, _ completion: @escaping (Result<CollectedResponse, RequestFailure>) -> Void) {
        self.keepBody = keepBody
        self.bodyLimit = bodyLimit
        response = CollectedResponse(status: 0, headers: [:], body: [])
        waiting = completion
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers
            if !head.isKeepAlive { reusable = false }
        case .body(var buffer):
            if keepBody, response.body.count < bodyLimit {
                let take = min(buffer.readableBytes, bodyLimit - response.body.count)
                if let bytes = buffer.readBytes(length: take) { response.body += bytes }
            }
        case .end:
            complete(.success(response))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reusable = false
        complete(.failure(RequestFailure(kind: .reset, message: "the connection was closed before the response ended")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reusable = false
        complete(.failure(RequestFailure(kind: .reset, message: "\(error)")))
        context.close(promise: nil)
    }

    /// Ends the waiting request with `failure` (a timeout) and closes the connection.
    func abandon(_ failure: RequestFailure, channel: any Channel) {
        reusable = false
        complete(.failure(failure))
        channel.close(promise: nil)
    }

    var isWaiting: Bool { waiting != nil }

    private func complete(_ result: Result<CollectedResponse, RequestFailure>) {
        guard let waiting else { return }
        self.waiting = nil
        waiting(result)
    }
}

/// Opens keep-alive connections to the target on a given event loop.
struct Connector: Sendable {
    let target: TargetURL
    let connectTimeout: TimeAmount

    func connect(on loop: any EventLoop) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: target.host, port: target.port)
    }
}
