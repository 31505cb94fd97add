import Foundation
import SLO
import Synchronization
import Transport

/// The gateway's admin API: an admin token, and the rollout percentage.
final class GatewayAdmin: Sendable {
    let url: String
    private let pool = HTTPClientPool()
    private let tokenBox = Mutex<String?>(nil)

    init(url: String) { self.url = url.hasSuffix("/") ? String(url.dropLast()) : url }

    var token: String? { tokenBox.withLock { $0 } }

    /// Uses `token`, or logs in as the admin through the gateway.
    func authenticate(token: String?, email: String, password: String?) async throws {
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

    func rollout() async throws -> Int {
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

    func setRollout(_ percent: Int) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["percent": percent])
        let response = try await send("PUT", "/admin/rollout", body: Array(body), authorized: true)
        guard response.status == 200 else {
            throw GateSetupError("PUT \(url)/admin/rollout answered \(response.status)\(response.status == 401 || response.status == 403 ? " (the token is not an admin's)" : "")")
        }
    }

    /// Asks the gateway to copy what each side lacks (`POST /admin/backfill`); the counts it answers.
    func backfill() async throws -> [String: Int] {
        let response = try await send("POST", "/admin/backfill", body: [], authorized: true)
        guard response.status == 200, let counts = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Int] else {
            let hint = response.status == 404 ? " (the gateway runs no monolith of its own to backfill)" : response.status == 401 || response.status == 403 ? " (an admin token is needed)" : ""
            throw GateSetupError("POST \(url)/admin/backfill answered \(response.status)\(hint)")
        }
        return counts
    }

    /// A service's Prometheus metrics.
    func scrape(_ metricsURL: String) async throws -> [PrometheusSample] {
        let response: HTTPClientResponse
        do { response = try await pool.send(HTTPClientRequest(url: metricsURL, headers: [("Accept", "text/plain")], timeout: 10)) } catch {
            throw GateSetupError("cannot read \(metricsURL): \(error)")
        }
        guard response.status == 200 else { throw GateSetupError("\(metricsURL) answered \(response.status)") }
        return PrometheusText.samples(String(decoding: response.body, as: UTF8.self))
    }

    private func send(_ method: String, _ path: String, body: [UInt8], authorized: Bool) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if authorized, let token { headers.append(("Authorization", "Bearer " + token)) }
        do {
            return try await pool.send(HTTPClientRequest(method: method, url: url + path, headers: headers, body: body, timeout: 10))
        } catch {
            throw GateSetupError("cannot reach the gateway at \(url): \(error)")
        }
    }
}
