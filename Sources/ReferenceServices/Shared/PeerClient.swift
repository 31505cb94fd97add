import Foundation
import HTTPTypes
import Synchronization
package import TransportHTTP

/// A base URL known only once a server is listening (the monolith's modules call each other
/// through the monolith's own port, which the operating system may pick).
final class LateBoundURL: Sendable {
    private let value = Mutex("")
    var url: String { value.withLock { $0 } }
    func bind(_ url: String) { value.withLock { $0 = url } }
}

/// JSON over HTTP to another service (libcurl, kept-alive connections), passing the
/// correlation id and, for the reference services, a service credential.
package struct PeerClient: Sendable {
    package var baseURL: String { lateBase?.url ?? fixedBase }
    private let fixedBase: String
    private let lateBase: LateBoundURL?
    let pool: HTTPClientPool
    let timeout: Double
    /// Signs the caller's service token (`role: service`); nil for external peers.
    let credential: (signer: JWTSigner, caller: String)?

    package init(baseURL: String, pool: HTTPClientPool = HTTPClientPool(), timeout: Double = 10, credential: (signer: JWTSigner, caller: String)? = nil) {
        fixedBase = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        lateBase = nil
        self.pool = pool
        self.timeout = timeout
        self.credential = credential
    }

    init(lateBase: LateBoundURL, credential: (signer: JWTSigner, caller: String)?) {
        fixedBase = ""
        self.lateBase = lateBase
        pool = HTTPClientPool()
        timeout = 10
        self.credential = credential
    }

    /// The peer's status and decoded JSON body (nil for an empty body).
    struct Reply {
        let status: Int
        let body: [UInt8]
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSON.decoder.decode(type, from: Data(body)) }
        var errorCode: String? {
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
        }
    }

    /// - Parameter timeout: seconds for this call, instead of the client's.
    func call(_ method: String, _ path: String, body: (any Encodable)? = nil, correlationID: String,
              headers: [(name: String, value: String)] = [], timeout: Double? = nil) async throws -> Reply {
        var all = headers + [("X-Correlation-ID", correlationID), ("Accept", "application/json")]
        if let credential { all.append(("Authorization", "Bearer " + credential.signer.serviceToken(for: credential.caller, lifetime: 300))) }
        var bytes: [UInt8] = []
        if let body {
            bytes = try JSON.encode(AnyEncodable(body))
            all.append(("Content-Type", "application/json"))
        }
        do {
            let response = try await pool.send(HTTPClientRequest(method: method, url: baseURL + path, headers: all, body: bytes, timeout: timeout ?? self.timeout))
            return Reply(status: response.status, body: response.body)
        } catch let error as HTTPClientError {
            throw APIError(.badGateway, "upstream_unavailable", "\(baseURL) did not answer: \(error.message)")
        }
    }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
