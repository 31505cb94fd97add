import CLibSSL
import NIOCore
import Steps

/// TLS on a client channel through the system's OpenSSL: ciphertext from the socket goes into a
/// memory BIO, plaintext comes out of `SSL_read` and on up the pipeline; writes go the other way.
/// Writes made before the handshake ends wait for it. `handshake` completes with the handshake's
/// duration (nanoseconds) or its `TLSFailure`.
final class TLSClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State { case idle, handshaking, open, closed }

    private let tls: TLSClientContext
    private let target: TargetURL
    let handshake: EventLoopPromise<UInt64>
    private var state = State.idle
    private var ssl: OpaquePointer?
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    private var startedAt: UInt64 = 0
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// The session is kept once the first data arrives (TLS 1.3 sends its tickets after the handshake).
    private var sessionKept = false
    private var handshakeSettled = false
    private var plaintextBuffer: ByteBuffer?
    private var ciphertextBuffer: ByteBuffer?
    /// Plaintext is read in pieces of this size.
    private static let readSize = 16_384

    init(tls: TLSClientContext, target: TargetURL, handshake: EventLoopPromise<UInt64>) {
        self.tls = tls
        self.target = target
        self.handshake = handshake
    }

    deinit {
        // Frees both BIOs with it.
        if let ssl { SSL_free(ssl) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        settleHandshake(.failure(ChannelError.ioOnClosedChannel))
        failPending(ChannelError.ioOnClosedChannel)
    }

    private func settleHandshake(_ result: Result<UInt64, any Error>) {
        guard !handshakeSettled else { return }
        handshakeSettled = true
        handshake.completeWith(result)
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard state == .idle else { return }
        guard let ssl = tls.makeConnection(for: target), let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            return fail(context, TLSFailure(kind: .other, reason: "OpenSSL could not start a connection: \(TLSClientContext.lastError())"))
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_connect_state(ssl)
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        startedAt = MonotonicClock.now()
        state = .handshaking
        advanceHandshake(context)
    }

    private func advanceHandshake(_ context: ChannelHandlerContext) {
        guard let ssl else { return }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        writeCiphertext(context, promise: nil)
        context.flush()
        guard result == 1 else {
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_WANT_READ { return }
            return fail(context, Self.failure(ssl, code: code))
        }
        state = .open
        settleHandshake(.success(MonotonicClock.now() &- startedAt))
        let waiting = pendingWrites
        pendingWrites = []
        for (buffer, promise) in waiting { encrypt(context, buffer, promise: promise) }
        if !waiting.isEmpty { context.flush() }
        readPlaintext(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let readBIO, state == .handshaking || state == .open else { return }
        _ = buffer.withUnsafeReadableBytes { BIO_write(readBIO, $0.baseAddress, Int32($0.count)) }
        if state == .handshaking { advanceHandshake(context) } else { readPlaintext(context) }
    }

    private func readPlaintext(_ context: ChannelHandlerContext) {
        guard let ssl, let readBIO else { return }
        while state == .open {
            // Plaintext is never longer than the ciphertext it comes from: a small response gets a small buffer.
            let waiting = max(Int(BIO_ctrl_pending(readBIO)), Int(SSL_pending(ssl)))
            guard waiting > 0 else { break }
            let size = min(Self.readSize, waiting)
            // One buffer reused read after read: once the handlers above let go of it, `clear`
            // keeps its storage (a handler that keeps it makes the next read copy, never share).
            var plaintext = plaintextBuffer ?? context.channel.allocator.buffer(capacity: Self.readSize)
            plaintextBuffer = nil
            plaintext.clear()
            var result: Int32 = 0
            // No ERR_clear_error here: the queue is emptied wherever an error is read (`lastError`).
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { space in
                result = SSL_read(ssl, space.baseAddress, Int32(space.count))
                return result > 0 ? Int(result) : 0
            }
            defer { plaintextBuffer = plaintext }
            if result > 0 {
                if !sessionKept {
                    sessionKept = true
                    tls.remember(ssl, for: target)
                }
                context.fireChannelRead(wrapInboundOut(plaintext))
                continue
            }
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_WANT_READ { break }
            if code == SSL_ERROR_ZERO_RETURN {
                // The server's close_notify: the connection ends as if the socket closed.
                state = .closed
                context.close(promise: nil)
                return
            }
            return fail(context, Self.failure(ssl, code: code))
        }
        // A read can leave a reply to send (a key update).
        if let writeBIO, BIO_ctrl_pending(writeBIO) > 0 {
            writeCiphertext(context, promise: nil)
            context.flush()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking: pendingWrites.append((buffer, promise))
        case .open: encrypt(context, buffer, promise: promise)
        case .closed: promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if state == .open || state == .closed { context.flush() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if state == .open, mode == .all, let ssl {
            // close_notify, so the server sees an orderly end rather than a truncation.
            _ = SSL_shutdown(ssl)
            writeCiphertext(context, promise: nil)
            context.flush()
        }
        if state != .closed { failPending(ChannelError.ioOnClosedChannel) }
        state = .closed
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .handshaking || state == .idle {
            settleHandshake(.failure(TLSFailure(kind: .other, reason: "the server closed the connection during the handshake")))
        }
        state = .closed
        failPending(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state == .handshaking || state == .idle {
            state = .closed
            settleHandshake(.failure(error))
            failPending(error)
        }
        context.fireErrorCaught(error)
    }

    private func encrypt(_ context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let ssl, buffer.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        // A memory BIO takes everything: the write is whole or an error.
        let written = buffer.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        guard written > 0 else {
            promise?.fail(Self.failure(ssl, code: SSL_get_error(ssl, written)))
            return
        }
        writeCiphertext(context, promise: promise)
    }

    /// Sends what OpenSSL has written into the outgoing BIO.
    private func writeCiphertext(_ context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let writeBIO else {
            promise?.succeed()
            return
        }
        let pending = Int(BIO_ctrl_pending(writeBIO))
        guard pending > 0 else {
            promise?.succeed()
            return
        }
        // Reused as the plaintext buffer is: the socket has usually written it by the next request.
        var ciphertext = ciphertextBuffer ?? context.channel.allocator.buffer(capacity: max(pending, 1024))
        ciphertextBuffer = nil
        ciphertext.clear()
        ciphertext.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
            Int(max(0, BIO_read(writeBIO, space.baseAddress, Int32(pending))))
        }
        context.write(wrapOutboundOut(ciphertext), promise: promise)
        ciphertextBuffer = ciphertext
    }

    private func fail(_ context: ChannelHandlerContext, _ failure: TLSFailure) {
        let wasHandshaking = state == .handshaking || state == .idle
        state = .closed
        failPending(failure)
        if wasHandshaking { settleHandshake(.failure(failure)) } else { context.fireErrorCaught(failure) }
        context.close(promise: nil)
    }

    private func failPending(_ error: any Error) {
        let waiting = pendingWrites
        pendingWrites = []
        for (_, promise) in waiting { promise?.fail(error) }
    }

    /// What went wrong, in the terms a user acts on: the certificate check's verdict when it
    /// failed, else OpenSSL's reason.
    static func failure(_ ssl: OpaquePointer, code: Int32) -> TLSFailure {
        let verdict = SSL_get_verify_result(ssl)
        if verdict != Int(X509_V_OK) {
            let reason = X509_verify_cert_error_string(verdict).map { String(cString: $0) } ?? "certificate rejected"
            ERR_clear_error()
            switch Int32(verdict) {
            case X509_V_ERR_CERT_HAS_EXPIRED: return TLSFailure(kind: .expired, reason: reason)
            case X509_V_ERR_CERT_NOT_YET_VALID: return TLSFailure(kind: .notYetValid, reason: reason)
            case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: return TLSFailure(kind: .hostnameMismatch, reason: reason)
            case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                 X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
                return TLSFailure(kind: .unknownAuthority, reason: reason)
            default: return TLSFailure(kind: .other, reason: reason)
            }
        }
        let reason = TLSClientContext.lastError()
        if code == SSL_ERROR_SYSCALL, reason == "no detail" {
            return TLSFailure(kind: .other, reason: "the server closed the connection during the handshake")
        }
        if reason.contains("protocol version") || reason.contains("unsupported protocol") || reason.contains("no protocols available") {
            return TLSFailure(kind: .protocolVersion, reason: reason)
        }
        if reason.contains("certificate required") { return TLSFailure(kind: .certificateRequired, reason: reason) }
        return TLSFailure(kind: .other, reason: reason)
    }
}
