import CLibSSL
import CWire
import Glibc
package import NIOCore
import Steps

/// One HTTP/1.1 client connection on a `WireLoop`: a non-blocking socket written and read
/// directly (through OpenSSL on the same socket for `https://`), one response at a time, each
/// handed to its receiver as soon as the parser has it whole.
package final class WireConnection: WireSocket, @unchecked Sendable {
    // Safe: made on its loop and only ever touched by code running there.
    private enum State { case connecting, handshaking, open, closed }

    private let loop: WireLoop
    private let target: TargetURL
    private let tls: TLSClientContext?
    private var fd: Int32 = -1
    private var state = State.connecting
    private var ssl: OpaquePointer?
    /// Addresses not tried yet, and why the last one tried failed.
    private var untried: ArraySlice<SocketAddress> = []
    private var lastConnectError = ""
    /// Told once the connection is open (the handshake's nanoseconds over TLS) or could not be.
    private var opened: ((Result<UInt64?, any Error>) -> Void)?
    private var expiry: Scheduled<Void>?
    private var handshakeStarted: UInt64 = 0
    private var writesWatched = false
    private var sessionKept = false

    /// Set by the user of the connection; cleared when it lets the connection go.
    package var receiver: (any ResponseReceiver)?
    private var waiting = false
    private var parser = ResponseParser()
    /// Bytes of a response not parsed yet (a head or chunk line cut across reads).
    private var pending: ByteBuffer?
    /// Request bytes the socket did not take yet.
    private var unsent: ByteBuffer?
    /// False once the server said `Connection: close`, or the connection ended.
    package private(set) var reusable = true
    /// How much of a body is kept: all a step's checks may read, and enough of an error's to quote.
    static let bodyLimit = 1 << 20

    init(loop: WireLoop, target: TargetURL, tls: TLSClientContext?) {
        self.loop = loop
        self.target = target
        self.tls = tls
    }

    deinit {
        if let ssl { SSL_free(ssl) }
    }

    // MARK: Opening

    /// Connects to the first of `addresses` that accepts, then shakes hands over TLS; all within `timeout`.
    func open(_ addresses: [SocketAddress], timeout: TimeAmount, then opened: @escaping (Result<UInt64?, any Error>) -> Void) {
        self.opened = opened
        untried = addresses[...]
        expiry = loop.scheduleTask(in: timeout) { [weak self] in
            guard let self else { return }
            let limit = "\(timeout.nanoseconds / 1_000_000) ms"
            if state == .handshaking {
                failOpening(TLSFailure(kind: .handshakeTimeout, reason: "no handshake within \(limit)"))
            } else {
                failOpening(ConnectFailure(description: "no connection to \(target.host):\(target.port) within \(limit)"))
            }
        }
        connectNext()
    }

    private func connectNext() {
        guard let address = untried.popFirst() else {
            return failOpening(ConnectFailure(description: lastConnectError.isEmpty ? "\(target.host) has no address" : lastConnectError))
        }
        let family = address.protocol.rawValue
        fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            lastConnectError = "no socket for \(address): \(Self.describe(errno))"
            return connectNext()
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, size in Glibc.connect(fd, pointer, socklen_t(size)) }
        if result == 0 || errno == EINPROGRESS {
            guard let refused = loop.register(self, fd: fd, writes: true) else {
                writesWatched = true
                return
            }
            lastConnectError = "could not watch the socket for \(address): \(Self.describe(refused))"
        } else {
            lastConnectError = "could not connect to \(address): \(Self.describe(errno))"
        }
        Glibc.close(fd)
        fd = -1
        connectNext()
    }

    /// The socket became writable (or failed) while connecting.
    private func finishConnect() {
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size)
        guard code == 0 else {
            lastConnectError = "could not connect to \(target.host):\(target.port): \(Self.describe(code))"
            loop.close(fd)
            fd = -1
            return connectNext()
        }
        guard let tls else {
            watchWrites(false)
            state = .open
            return finishOpening(.success(nil))
        }
        guard let ssl = tls.makeConnection(for: target) else {
            return failOpening(TLSFailure(kind: .other, reason: "OpenSSL could not start a connection: \(TLSClientContext.lastError())"))
        }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        // Records are read as much at a time as has come, not header then body.
        SSL_set_read_ahead(ssl, 1)
        SSL_set_connect_state(ssl)
        state = .handshaking
        handshakeStarted = MonotonicClock.now()
        advanceHandshake()
    }

    private func advanceHandshake() {
        guard let ssl else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_WANT_READ { return watchWrites(false) }
            if code == SSL_ERROR_WANT_WRITE { return watchWrites(true) }
            return failOpening(tlsFailure(ssl, code))
        }
        watchWrites(false)
        state = .open
        finishOpening(.success(MonotonicClock.now() &- handshakeStarted))
    }

    private func failOpening(_ error: any Error) {
        close()
        finishOpening(.failure(error))
    }

    private func finishOpening(_ result: Result<UInt64?, any Error>) {
        expiry?.cancel()
        expiry = nil
        let opened = self.opened
        self.opened = nil
        opened?(result)
    }

    // MARK: Requests

    /// Prepares for the response to the request about to be sent.
    package func expect(methodIsHead: Bool, keepHeaders: Bool, keepBody: Bool) {
        parser.expect(methodIsHead: methodIsHead, keepHeaders: keepHeaders, keepBody: keepBody, bodyLimit: Self.bodyLimit)
        pending = nil
        waiting = true
    }

    /// Writes a request's bytes; what the socket does not take now goes when it can.
    package func send(_ bytes: ByteBuffer) {
        guard state == .open else { return fail(RequestFailure(kind: .reset, message: "the connection was closed before the request was sent")) }
        unsent = bytes
        flush()
    }

    private func flush() {
        guard var bytes = unsent else { return }
        // Over TLS a write can wait for the peer to send (a renegotiation): then the socket's
        // readiness to read, not to write, says when to try again.
        var waitsForRead = false
        while bytes.readableBytes > 0 {
            let written: Int
            if let ssl {
                ERR_clear_error()
                let result = bytes.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32(min($0.count, Int(Int32.max)))) }
                guard result > 0 else {
                    let code = SSL_get_error(ssl, result)
                    if code == SSL_ERROR_WANT_WRITE { break }
                    if code == SSL_ERROR_WANT_READ {
                        waitsForRead = true
                        break
                    }
                    return fail(RequestFailure(kind: .tls, message: "\(tlsFailure(ssl, code))"))
                }
                written = Int(result)
            } else {
                written = bytes.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written >= 0 else {
                    if errno == EAGAIN || errno == EINTR { break }
                    return fail(RequestFailure(kind: .reset, message: "the request could not be written: \(Self.describe(errno))"))
                }
            }
            bytes.moveReaderIndex(forwardBy: written)
        }
        unsent = bytes.readableBytes > 0 ? bytes : nil
        watchWrites(unsent != nil && !waitsForRead)
    }

    /// Ends the waiting request with `failure` (a timeout) and closes the connection.
    package func abandon(_ failure: RequestFailure) { fail(failure) }

    // MARK: Events

    func handle(_ events: UInt32) {
        switch state {
        case .connecting: finishConnect()
        case .handshaking: advanceHandshake()
        case .open:
            if unsent != nil { flush() }
            if state == .open, events & ~EPOLLOUT.rawValue != 0 { receive() }
        case .closed: break
        }
    }

    /// Reads what has come, once (the loop calls again while more is there), and parses it.
    private func receive() {
        repeat {
            let count = readOnce()
            guard count > 0 else { return }
            guard waiting else { continue }  // bytes nobody asked for are dropped
            let outcome: Result<Bool, ResponseParser.ParseError>
            if pending != nil {
                pending!.writeImmutableBuffer(loop.readBuffer)
                outcome = Result { () throws(ResponseParser.ParseError) in try parser.parse(&pending!) }
                if pending!.readableBytes == 0 { pending = nil }
            } else {
                outcome = Result { () throws(ResponseParser.ParseError) in try parser.parse(&loop.readBuffer) }
                if case .success(false) = outcome, loop.readBuffer.readableBytes > 0 {
                    // Kept apart from the loop's buffer, which the next read reuses.
                    var kept = ByteBufferAllocator().buffer(capacity: loop.readBuffer.readableBytes)
                    kept.writeImmutableBuffer(loop.readBuffer)
                    pending = kept
                }
            }
            switch outcome {
            case .success(false): continue
            case .success(true):
                // An answer before the whole request was written leaves the stream mid-request.
                if !parser.head.keepAlive || unsent != nil { reusable = false }
                return complete(.success(CollectedResponse(status: parser.head.status, headers: parser.head.headers, body: parser.body)))
            case .failure(let error): return fail(RequestFailure(kind: .other, message: "\(error)"))
            }
        } while state == .open && ssl.map { SSL_has_pending($0) == 1 } == true
    }

    /// Reads into the loop's buffer: the count read, 0 when there is nothing to read now, -1 when
    /// the connection ended (the receiver has been told).
    private func readOnce() -> Int {
        loop.readBuffer.clear()
        var result = 0
        var failure = Int32(0)
        loop.readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: WireLoop.readSize) { space in
            if let ssl {
                ERR_clear_error()
                result = Int(SSL_read(ssl, space.baseAddress, Int32(space.count)))
                if result <= 0 { failure = SSL_get_error(ssl, Int32(result)) }
            } else {
                result = Glibc.read(fd, space.baseAddress, space.count)
                if result < 0 { failure = errno }
            }
            return max(result, 0)
        }
        if result > 0 {
            if let ssl, !sessionKept {
                // Kept once data arrives: TLS 1.3 sends its tickets after the handshake.
                sessionKept = true
                tls?.remember(ssl, for: target)
            }
            return result
        }
        if let ssl {
            switch failure {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return 0
            case SSL_ERROR_ZERO_RETURN: endedByPeer()
            case SSL_ERROR_SYSCALL where errno == 0 || errno == ECONNRESET: endedByPeer()
            default: fail(RequestFailure(kind: .tls, message: "\(tlsFailure(ssl, failure))"))
            }
            return -1
        }
        if result == 0 {
            endedByPeer()
        } else if failure == EAGAIN || failure == EINTR {
            return 0
        } else {
            fail(RequestFailure(kind: .reset, message: "the connection failed: \(Self.describe(failure))"))
        }
        return -1
    }

    /// The server closed the connection: that ends a response framed by the close, else fails it.
    private func endedByPeer() {
        let endsResponse = waiting && parser.endsAtClose
        close()
        if endsResponse {
            complete(.success(CollectedResponse(status: parser.head.status, headers: parser.head.headers, body: parser.body)))
        } else {
            complete(.failure(RequestFailure(kind: .reset, message: "the connection was closed before the response ended")))
        }
    }

    private func fail(_ failure: RequestFailure) {
        close()
        complete(.failure(failure))
    }

    private func complete(_ result: Result<CollectedResponse, RequestFailure>) {
        guard waiting else { return }
        waiting = false
        receiver?.received(result)
    }

    /// Why OpenSSL failed on this connection, in the context's terms.
    private func tlsFailure(_ ssl: OpaquePointer, _ code: Int32) -> TLSFailure {
        tls?.failure(ssl, code: code) ?? TLSFailure(kind: .other, reason: TLSClientContext.lastError())
    }

    private func watchWrites(_ writes: Bool) {
        guard writes != writesWatched, fd >= 0 else { return }
        writesWatched = writes
        loop.watch(fd, writes: writes)
    }

    /// Closes the connection (over TLS with a close_notify first); a request waiting is not told.
    package func close() {
        reusable = false
        guard state != .closed else { return }
        if let ssl {
            if state == .open { _ = SSL_shutdown(ssl) }
            SSL_free(ssl)
            self.ssl = nil
        }
        state = .closed
        unsent = nil
        if fd >= 0 { loop.close(fd) }
        fd = -1
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// No TCP connection could be made: the reason in the system's words.
package struct ConnectFailure: Error, CustomStringConvertible {
    package let description: String
}
