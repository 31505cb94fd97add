package import NIOCore
import NIOPosix
package import Steps

/// A response as the connection collected it.
package struct CollectedResponse {
    package var status: Int
    /// Lower-case names; only when the step reads headers.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
}

/// Why a request got no response.
package struct RequestFailure: Error {
    package enum Kind { case connect, tls, timeout, reset, other }
    package let kind: Kind
    package let message: String

    package init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Who is told when a response (or its failure) arrives.
package protocol ResponseReceiver: AnyObject, Sendable {
    func received(_ result: Result<CollectedResponse, RequestFailure>)
}

/// Reads one response at a time on a keep-alive HTTP/1.1 connection and hands it to its
/// receiver (no closure per request). Lives on its channel's event loop.
package final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    /// Set by the user of the connection; cleared when it lets the connection go.
    package var receiver: (any ResponseReceiver)?
    private var waiting = false
    private var parser = ResponseParser()
    /// Bytes of a response not parsed yet (a head or chunk line cut across reads).
    private var pending: ByteBuffer?
    /// How much of a body is kept: all a step's checks may read, and enough of an error's to quote.
    static let bodyLimit = 1 << 20
    /// False once the server said `Connection: close` or the channel went away.
    private(set) var reusable = true
    /// Where requests are written from: past this handler, toward the socket (through TLS when
    /// there is TLS) without entering the pipeline at its tail.
    private var context: ChannelHandlerContext?

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    package func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes and flushes a request's bytes.
    package func send(_ bytes: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    package func expect(methodIsHead: Bool, keepHeaders: Bool, keepBody: Bool) {
        parser.expect(methodIsHead: methodIsHead, keepHeaders: keepHeaders, keepBody: keepBody, bodyLimit: Self.bodyLimit)
        pending = nil
        waiting = true
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard waiting else { return }  // bytes nobody asked for are dropped
        if var earlier = pending {
            earlier.writeBuffer(&buffer)
            buffer = earlier
            pending = nil
        }
        do {
            guard try parser.parse(&buffer) else {
                if buffer.readableBytes > 0 { pending = buffer }
                return
            }
        } catch {
            reusable = false
            complete(.failure(RequestFailure(kind: .other, message: "\(error)")))
            context.close(promise: nil)
            return
        }
        if !parser.head.keepAlive { reusable = false }
        complete(.success(CollectedResponse(status: parser.head.status, headers: parser.head.headers, body: parser.body)))
    }

    package func channelInactive(context: ChannelHandlerContext) {
        reusable = false
        if waiting, parser.endsAtClose {
            complete(.success(CollectedResponse(status: parser.head.status, headers: parser.head.headers, body: parser.body)))
        } else {
            complete(.failure(RequestFailure(kind: .reset, message: "the connection was closed before the response ended")))
        }
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reusable = false
        complete(.failure(RequestFailure(kind: .reset, message: "\(error)")))
        context.close(promise: nil)
    }

    /// Ends the waiting request with `failure` (a timeout) and closes the connection.
    package func abandon(_ failure: RequestFailure, channel: any Channel) {
        reusable = false
        complete(.failure(failure))
        channel.close(promise: nil)
    }

    private func complete(_ result: Result<CollectedResponse, RequestFailure>) {
        guard waiting else { return }
        waiting = false
        receiver?.received(result)
    }
}

/// A connection just opened: its channel and, over TLS, how long the handshake took.
package struct OpenedConnection {
    package let channel: any Channel
    /// Nanoseconds; nil for plain HTTP.
    package let handshake: UInt64?
}

/// Opens keep-alive connections to the target on a given event loop: TCP, then TLS for an
/// `https://` target (the future completes once the handshake is over, or fails with its
/// `TLSFailure`; a handshake gets `connectTimeout` too).
package struct Connector: Sendable {
    package let target: TargetURL
    let connectTimeout: TimeAmount
    let tls: TLSClientContext?

    /// `tls` is required for an `https://` target and ignored for an `http://` one.
    package init(target: TargetURL, connectTimeout: TimeAmount, tls: TLSClientContext? = nil) {
        self.target = target
        self.connectTimeout = connectTimeout
        self.tls = target.usesTLS ? tls : nil
    }

    package func connect(on loop: any EventLoop) -> EventLoopFuture<OpenedConnection> {
        let tls = self.tls
        let target = self.target
        if target.usesTLS, tls == nil {
            return loop.makeFailedFuture(TLSFailure(kind: .other, reason: "no TLS settings were given for \(target)"))
        }
        let handshake = tls == nil ? nil : loop.makePromise(of: UInt64.self)
        let connected = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls, let handshake { try channel.pipeline.syncOperations.addHandler(TLSClientHandler(tls: tls, target: target, handshake: handshake)) }
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: target.host, port: target.port)
        guard let handshake else { return connected.map { OpenedConnection(channel: $0, handshake: nil) } }
        connected.whenFailure { handshake.fail($0) }
        return connected.flatMap { channel in
            let limit = connectTimeout
            let expiry = loop.scheduleTask(in: limit) {
                handshake.fail(TLSFailure(kind: .handshakeTimeout, reason: "no handshake within \(limit.nanoseconds / 1_000_000) ms"))
                channel.close(promise: nil)
            }
            return handshake.futureResult.map { nanoseconds in
                expiry.cancel()
                return OpenedConnection(channel: channel, handshake: nanoseconds)
            }.flatMapErrorThrowing { error in
                expiry.cancel()
                channel.close(promise: nil)
                throw error
            }
        }
    }
}

/// The keep-alive connection a virtual user or a flow sends through, request after request:
/// reused while it is open and the last response allowed it, else replaced by a new one.
package final class KeptConnection: @unchecked Sendable {
    // Safe: created for one event loop and only ever touched by code running on it.
    private let loop: any EventLoop
    private let connector: Connector
    package private(set) var channel: (any Channel)?
    package private(set) var handler: ResponseCollector?
    /// The TLS handshake of the connection `acquire` last opened, until taken.
    private var handshake: UInt64?

    package init(loop: any EventLoop, connector: Connector) {
        self.loop = loop
        self.connector = connector
    }

    /// Whether the last response left the connection open for another request (the collector
    /// hears the channel close, so asking the channel too would only cost its lock-free reads).
    package var isReusable: Bool { handler?.reusable ?? false }

    /// Calls `ready` with a connection whose responses go to `receiver`: the kept one when it
    /// may be reused, else a new one (the old one closed). Once connected, a connection nobody
    /// wants any more (`wanted` false: the run halted meanwhile) is closed and `unwanted` called;
    /// `failed` says why no connection could be had.
    package func acquire(for receiver: any ResponseReceiver, wanted: @escaping @Sendable () -> Bool = { true },
                 ready: @escaping @Sendable (any Channel, ResponseCollector) -> Void, unwanted: @escaping @Sendable () -> Void = {},
                 failed: @escaping @Sendable (RequestFailure) -> Void) {
        if isReusable, let channel, let handler { return ready(channel, handler) }
        drop()
        connector.connect(on: loop).whenComplete { result in
            switch result {
            case .success(let opened):
                let channel = opened.channel
                guard let handler = try? channel.pipeline.syncOperations.handler(type: ResponseCollector.self) else {
                    channel.close(promise: nil)
                    return failed(RequestFailure(kind: .other, message: "the connection has no HTTP handler"))
                }
                guard wanted() else {
                    channel.close(promise: nil)
                    return unwanted()
                }
                handler.receiver = receiver
                self.channel = channel
                self.handler = handler
                self.handshake = opened.handshake
                ready(channel, handler)
            case .failure(let error as TLSFailure):
                failed(RequestFailure(kind: .tls, message: "\(self.connector.target): \(error)"))
            case .failure(let error):
                failed(RequestFailure(kind: .connect, message: "\(self.connector.target): \(error)"))
            }
        }
    }

    /// The handshake time (nanoseconds) of the TLS connection just opened, once: nil after
    /// that, for a reused connection, and over plain HTTP.
    package func takeHandshake() -> UInt64? {
        defer { handshake = nil }
        return handshake
    }

    /// Closes the connection; the next `acquire` opens a new one.
    package func drop() {
        handler?.receiver = nil
        channel?.close(promise: nil)
        channel = nil
        handler = nil
    }
}
