import Foundation
import HTTPTypes
import TransportHTTP
import TransportPostgres

/// Retrying calls whose failure may be passing.
enum Retry {
    /// Runs `call` up to `attempts` times while it fails in a way a retry may fix (no answer,
    /// a 5xx, a store that is unavailable), with a short growing pause between attempts.
    /// A 4xx answer and any other error are final at once.
    static func transient<T>(attempts: Int = 3, _ call: () async throws -> T) async throws -> T {
        var pause = 0.1
        var attempt = 1
        while true {
            do {
                let result = try await call()
                guard attempt < attempts, let reply = result as? PeerClient.Reply, reply.status >= 500 else { return result }
            } catch {
                if attempt >= attempts || !isTransient(error) { throw error }
            }
            try await Task.sleep(for: .seconds(pause))
            pause *= 3
            attempt += 1
        }
    }

    /// Whether another attempt may succeed: no answer from a peer, a peer's 5xx, a database
    /// that is unreachable for now.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as APIError: return error.status.code >= 500
        case let error as PostgresError: return error.isUnavailable
        case is HTTPClientError: return true
        default: return false
        }
    }
}
