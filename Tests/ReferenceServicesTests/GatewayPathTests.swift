import Foundation
@testable import ReferenceServices
import TestSupport
import Testing
import Transport

/// Dot segments and encoded dots cannot walk past the gateway to a service's private endpoints.
@Suite struct GatewayPathTests {
    @Test(arguments: [
        ("/api/v1/products/1", "/api/v1/products/1"),
        ("/api/v1/products/./1", "/api/v1/products/1"),
        ("/api/v1/products//1", "/api/v1/products/1"),
        ("/api/v1/products/", "/api/v1/products/"),
        ("/api/v1/products/../../../metrics", "/metrics"),
        ("/api/v1/products/%2e%2e/%2E%2E/%2e%2e/metrics", "/metrics"),
        ("/api/v1/users/login/../../../../_pact/provider-states", "/_pact/provider-states"),
    ])
    func pathsAreNormalizedBeforeRouting(raw: String, normalized: String) {
        #expect(GatewayPath.normalize(raw) == normalized)
    }

    @Test(arguments: ["/api/v1/products/..%2f..%2fmetrics", "/api/v1/products/..%5c..%5cmetrics", "/../../etc/passwd", "/api/v1/products/%00", "relative"])
    func ambiguousPathsAreRefused(raw: String) {
        #expect(GatewayPath.normalize(raw) == nil)
    }

    /// Over a real socket, the raw bytes an attacker sends (`curl --path-as-is`).
    @Test func theGatewayRefusesWhatResolvesOutsideTheAPI() async throws {
        try await TestStack.with(.memory, configure: { $0.providerStates = true }) { t in
            let port = try #require(URLComponents(string: t.gateway)?.port)
            func status(_ path: String, method: String = "GET", body: String = "") async -> (Int, String) {
                let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                // A blocking socket read: off the cooperative pool, which the in-process services need to answer.
                let reply = await BlockingWork.run { rawHTTPExchange(port: port, request) }
                let code = reply.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                return (code, reply)
            }
            let stateChange = #"{"state": "a user exists", "params": {"email": "admin@tollgate.local"}}"#
            for path in ["/api/v1/products/../../../metrics", "/api/v1/products/%2e%2e/%2e%2e/%2e%2e/metrics",
                         "/api/v1/users/login/../../../../_pact/provider-states", "/api/v1/users/login/..%2f..%2f..%2f_pact%2fprovider-states",
                         "/api/v1/products/../../../admin/export/users", "/api/../admin/rollout"] {
                let (code, reply) = await status(path, method: path.contains("_pact") ? "POST" : "GET", body: path.contains("_pact") ? stateChange : "")
                #expect(code == 400, "\(path) → \(code)")
                #expect(!reply.contains("\"token\"") && !reply.contains("http_requests_total"), "\(path) leaked: \(reply.prefix(300))")
            }
            // An honest path with a harmless dot segment still works.
            let (ok, _) = await status("/api/v1/products/./1")
            #expect(ok == 200)
        }
    }

    @Test func theAdminPasswordIsRandomPerRun() {
        #expect(StackConfiguration().adminPassword != StackConfiguration().adminPassword)
        #expect(StackConfiguration().adminPassword.count >= 32)
    }
}

/// The provider-state endpoint changes data and mints tokens: only a service or admin token opens it.
@Suite struct ProviderStateDoorTests {
    @Test func providerStatesNeedAServiceOrAdminToken() async throws {
        try await TestStack.with(.memory, configure: { $0.providerStates = true }) { t in
            let url = t.url("user-service") + "/_pact/provider-states"
            let call = ["state": "a user exists", "params": ["email": "someone@example.com"]] as [String: Any]
            let anonymous = try await t.call("POST", "/_pact/provider-states", json: call, base: t.url("user-service"))
            #expect(anonymous.status == 401, "\(anonymous.status)")
            let (_, customer) = try await t.customer("nosy")
            let asCustomer = try await t.call("POST", "/_pact/provider-states", json: call, token: customer, base: t.url("user-service"))
            #expect(asCustomer.status == 403, "\(asCustomer.status)")
            let asService = try await t.call("POST", "/_pact/provider-states", json: call, token: t.stack.serviceToken, base: t.url("user-service"))
            #expect(asService.status == 200, "\(asService.status)")
            let byQuery = try await t.call("POST", "/_pact/provider-states?token=\(t.stack.adminToken)", json: call, base: t.url("user-service"))
            #expect(byQuery.status == 200, "\(byQuery.status) at \(url)")
        }
    }

    @Test func providerStatesAreOffUnlessAsked() async throws {
        try await TestStack.with(.memory) { t in
            let reply = try await t.call("POST", "/_pact/provider-states", json: ["state": "a user exists"], token: t.stack.adminToken, base: t.url("user-service"))
            #expect(reply.status == 404)
        }
    }
}
