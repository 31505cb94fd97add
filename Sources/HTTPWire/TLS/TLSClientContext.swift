import CLibSSL
package import Steps
import Synchronization

/// Why a TLS connection could not be made, sorted into what a user acts on, with OpenSSL's own words.
package struct TLSFailure: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        case unknownAuthority = "unknown authority"
        case expired
        case notYetValid = "not yet valid"
        case hostnameMismatch = "hostname mismatch"
        case handshakeTimeout = "handshake timeout"
        case protocolVersion = "protocol version"
        case certificateRequired = "client certificate required"
        case other = "handshake failed"
    }

    package let kind: Kind
    /// OpenSSL's reason, e.g. "certificate has expired".
    package let reason: String

    package var description: String { "TLS \(kind.rawValue): \(reason)" }
}

/// A configuration could not be made into a TLS context (an unreadable CA file, a key that is
/// not the certificate's): names the file.
package struct TLSSetupError: Error, Sendable, CustomStringConvertible {
    package let description: String
}

/// One OpenSSL client context per run: trust, client certificate, TLS 1.2–1.3, ALPN `http/1.1`,
/// and the sessions each target last gave, so new connections resume instead of a full handshake.
package final class TLSClientContext: @unchecked Sendable {
    // Safe: the SSL_CTX is configured in `init` and only read after (OpenSSL allows SSL_new from
    // any thread); the session table is behind a mutex.
    let context: OpaquePointer
    package let settings: TLSSettings
    private let sessions = Mutex<[String: SessionHandle]>([:])

    package init(settings: TLSSettings) throws(TLSSetupError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSSetupError(description: "OpenSSL could not make a TLS context: \(Self.lastError())") }
        self.context = context
        self.settings = settings
        _ = tg_ctx_set_min_version(context, tg_version_tls12())
        _ = tg_ctx_set_max_version(context, tg_version_tls13())
        tg_ctx_cache_client_sessions(context)
        // A server that closes without close_notify ends the stream (a body framed by the close), as browsers take it.
        tg_ctx_ignore_unexpected_eof(context)
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = alpn.withUnsafeBufferPointer { SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count)) }
        if settings.insecureSkipVerify {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            if let caFile = settings.caFile {
                guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                    throw TLSSetupError(description: "tls.ca_file '\(caFile)': no certificate authority could be read (\(Self.lastError()))")
                }
            } else if SSL_CTX_set_default_verify_paths(context) != 1 {
                throw TLSSetupError(description: "the system's trust store could not be read (\(Self.lastError()))")
            }
        }
        if let certFile = settings.certFile, let keyFile = settings.keyFile {
            guard SSL_CTX_use_certificate_chain_file(context, certFile) == 1 else {
                throw TLSSetupError(description: "tls.cert_file '\(certFile)': not a PEM certificate (\(Self.lastError()))")
            }
            guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
                throw TLSSetupError(description: "tls.key_file '\(keyFile)': not a PEM private key (\(Self.lastError()))")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSSetupError(description: "tls.key_file '\(keyFile)' is not the key of tls.cert_file '\(certFile)'")
            }
        }
    }

    deinit {
        for handle in sessions.withLock({ $0.values }) { SSL_SESSION_free(handle.session) }
        SSL_CTX_free(context)
    }

    /// The name sent as SNI and checked in the certificate for `target`.
    func expectedName(for target: TargetURL) -> String { settings.serverName ?? target.host }

    /// A new TLS connection state for `target`, set to resume its last session.
    func makeConnection(for target: TargetURL) -> OpaquePointer? {
        guard let ssl = SSL_new(context) else { return nil }
        let name = expectedName(for: target)
        // SNI names a host, never an address.
        if !Self.isAddress(name) { _ = tg_ssl_set_server_name(ssl, name) }
        if !settings.insecureSkipVerify { _ = SSL_set1_host(ssl, name) }
        sessions.withLock { table in
            if let handle = table[Self.key(target)] { _ = SSL_set_session(ssl, handle.session) }
        }
        return ssl
    }

    /// Keeps the session of an established connection for the next one to `target`.
    func remember(_ ssl: OpaquePointer, for target: TargetURL) {
        guard let session = SSL_get1_session(ssl) else { return }
        guard SSL_SESSION_is_resumable(session) == 1 else { return SSL_SESSION_free(session) }
        let old = sessions.withLock { table in
            let old = table[Self.key(target)]
            table[Self.key(target)] = SessionHandle(session: session)
            return old
        }
        if let old { SSL_SESSION_free(old.session) }
    }

    private static func key(_ target: TargetURL) -> String { "\(target.host):\(target.port)" }

    static func isAddress(_ host: String) -> Bool {
        host.contains(":") || (host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// What went wrong, in the terms a user acts on: the certificate check's verdict when it
    /// failed (and was enforced: with verification off a verdict is recorded but is not the
    /// reason), else OpenSSL's reason.
    func failure(_ ssl: OpaquePointer, code: Int32) -> TLSFailure {
        let verdict = SSL_get_verify_result(ssl)
        if verdict != Int(X509_V_OK), !settings.insecureSkipVerify {
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
        let reason = Self.lastError()
        // A peer that hung up: an end of stream (unexpected EOFs are ignored), a bare syscall error, or OpenSSL 3's own words.
        if ((code == SSL_ERROR_SYSCALL || code == SSL_ERROR_ZERO_RETURN) && reason == "no detail") || reason.contains("unexpected eof") {
            return TLSFailure(kind: .other, reason: "the server closed the connection during the handshake")
        }
        if reason.contains("protocol version") || reason.contains("unsupported protocol") || reason.contains("no protocols available") {
            return TLSFailure(kind: .protocolVersion, reason: reason)
        }
        if reason.contains("certificate required") { return TLSFailure(kind: .certificateRequired, reason: reason) }
        return TLSFailure(kind: .other, reason: reason)
    }

    /// The oldest error OpenSSL queued on this thread, cleared with the rest.
    static func lastError() -> String {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "no detail" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        // "error:0A000086:SSL routines::certificate verify failed" → the reason.
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text
    }
}

/// An SSL_SESSION kept between connections.
private struct SessionHandle: @unchecked Sendable {
    // Safe: sessions are reference-counted by OpenSSL and only handed to SSL_set_session, which takes its own reference.
    let session: OpaquePointer
}
