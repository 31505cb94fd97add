import Foundation
import SLO
import Synchronization
import Transport
import TransportHTTP

/// The bundled gateway's admin API: an admin token, the rollout percentage (`/admin/rollout`),
/// and the lease that keeps a second gate from moving the rollout meanwhile.
package final class GatewayRollout: RolloutControl {
    package let url: String
    private let pool = HTTPClientPool()
    private let tokenBox = Mutex<String?>(nil)
    /// The lease this gate holds, sent with every rollout change.
    private let leaseBox = Mutex<String?>(nil)
    /// How long a lease lasts; the gate renews it a third of the way through.
    static let leaseSeconds = 120

    package init(url: String) { self.url = url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// The admin token in use (the gate's other parts use it too: provider states, exports).
    package var token: String? { tokenBox.withLock { $0 } }

    package var renewEvery: Double { Double(Self.leaseSeconds) / 3 }

    /// Uses `token`, or logs in as the admin through the gateway.
    package func authenticate(token: String?, email: String, password: String?) async throws {
        if let token { tokenBox.withLock { $0 = token }; return }
        guard let password else { throw GateSetupError("no admin token and no admin password: set gateway.admin_token (or TOLLGATE_ADMIN_TOKEN) or the admin's password") }
        let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        let response = try await send("POST", "/api/v1/users/login", body: Array(body), authorized: false)
        guard response.status == 200, let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let issued = object["token"] as? String else {
            throw GateSetupError("logging in as \(email) at \(url) answered \(response.status); set gateway.admin_token (or TOLLGATE_ADMIN_TOKEN) or the admin's credentials")
        }
        tokenBox.withLock { $0 = issued }
    }

    package func current() async throws -> Int {
        let response = try await send("GET", "/admin/rollout", body: [], authorized: true)
        struct Rollout: Decodable { let percent: Int }
        guard response.status == 200 else {
            throw GateSetupError("GET \(url)/admin/rollout answered \(response.status): is \(url) a Tollgate gateway?")
        }
        // A whole number from 0 to 100: `true`, 1.5 or 2^63−1 are not a rollout.
        guard let percent = try? JSONDecoder().decode(Rollout.self, from: Data(response.body)).percent, (0...100).contains(percent) else {
            throw GateSetupError("GET \(url)/admin/rollout answered no rollout percentage from 0 to 100: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        return percent
    }

    package func set(_ percent: Int) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["percent": percent])
        let response = try await send("PUT", "/admin/rollout", body: Array(body), authorized: true)
        guard response.status == 200 else {
            throw GateSetupError("PUT \(url)/admin/rollout answered \(response.status)\(response.status == 401 || response.status == 403 ? " (the token is not an admin's)" : "")"
                                 + (response.status == 409 ? ": \(Self.message(response))" : ""))
        }
    }

    /// Takes the rollout for this gate (`holder` says who in the gateway's refusals to others).
    /// A gateway without leases (404) is used without one; a lease held by another is an error naming it.
    package func acquire(holder: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["holder": holder, "ttl_s": Self.leaseSeconds])
        let response = try await send("POST", "/admin/rollout/lease", body: Array(body), authorized: true)
        switch response.status {
        case 201:
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], let id = object["id"] as? String else {
                throw GateSetupError("POST \(url)/admin/rollout/lease answered no lease id")
            }
            leaseBox.withLock { $0 = id }
        case 404, 405: return
        case 409: throw RolloutHeld("another gate is running on \(url): \(Self.message(response))")
        default: throw GateSetupError("POST \(url)/admin/rollout/lease answered \(response.status): \(Self.message(response))")
        }
    }

    /// Extends the lease (a long gate calls it every `leaseSeconds / 3`); false when it was lost.
    package func renew() async -> Bool {
        guard let id = leaseBox.withLock({ $0 }) else { return true }
        guard let body = try? JSONSerialization.data(withJSONObject: ["ttl_s": Self.leaseSeconds]),
              let response = try? await send("PUT", "/admin/rollout/lease/\(id)", body: Array(body), authorized: true) else { return false }
        return response.status == 200
    }

    /// Gives the rollout back.
    package func release() async {
        guard let id = leaseBox.withLock({ $0 }) else { return }
        _ = try? await send("DELETE", "/admin/rollout/lease/\(id)", body: [], authorized: true)
        leaseBox.withLock { $0 = nil }
    }

    /// The same, blocking: for the second Ctrl-C, which cannot wait for the cooperative pool.
    package func restoreNow(_ percent: Int) {
        let client = HTTPClient()
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        if let lease = leaseBox.withLock({ $0 }) { headers.append(("X-Rollout-Lease", lease)) }
        _ = try? client.send(HTTPClientRequest(method: "PUT", url: url + "/admin/rollout", headers: headers, body: Array(#"{"percent": \#(percent)}"#.utf8), timeout: 3))
        if let lease = leaseBox.withLock({ $0 }) {
            _ = try? client.send(HTTPClientRequest(method: "DELETE", url: url + "/admin/rollout/lease/\(lease)", headers: headers, timeout: 3))
        }
    }

    /// The error message of a JSON error answer, or its first bytes.
    /// Printable: a holder's name from another gate may carry terminal escapes.
    static func message(_ response: HTTPClientResponse) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String { return OutsideText.printable(message) }
        return OutsideText.printable(String(decoding: response.body.prefix(200), as: UTF8.self))
    }

    /// Asks the gateway to copy what each side lacks (`POST /admin/backfill`); the counts it answers.
    package func backfill() async throws -> [String: Int] {
        let response = try await send("POST", "/admin/backfill", body: [], authorized: true)
        guard response.status == 200, let counts = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Int] else {
            let hint = response.status == 404 ? " (the gateway runs no monolith of its own to backfill)" : response.status == 401 || response.status == 403 ? " (an admin token is needed)" : ""
            throw GateSetupError("POST \(url)/admin/backfill answered \(response.status)\(hint)")
        }
        return counts
    }

    private func send(_ method: String, _ path: String, body: [UInt8], authorized: Bool) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if authorized, let token { headers.append(("Authorization", "Bearer " + token)) }
        if authorized, let lease = leaseBox.withLock({ $0 }) { headers.append(("X-Rollout-Lease", lease)) }
        do {
            return try await pool.send(HTTPClientRequest(method: method, url: url + path, headers: headers, body: body, timeout: 10))
        } catch {
            throw GateSetupError("cannot reach the gateway at \(url): \(error)")
        }
    }
}
