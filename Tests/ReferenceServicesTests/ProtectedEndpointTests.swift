import Foundation
import ReferenceServices
import Testing

/// Service-to-service operations and admin endpoints, probed as an attacker would.
@Suite struct ProtectedEndpointTests {
    @Test func serviceOperationsAreNotRoutedThroughTheGateway() async throws {
        try await TestStack.with(.memory) { t in
            let (userID, token) = try await t.customer("probe")
            let probes: [(String, String)] = [
                ("POST", "/api/v1/inventory/reservations"), ("DELETE", "/api/v1/inventory/reservations/any-order"),
                ("POST", "/api/v1/payments/process"), ("POST", "/api/v1/payments/pay_x/refund"),
                ("GET", "/api/v1/payments/order/any-order"), ("GET", "/api/v1/payments/pay_x"),
                ("GET", "/api/v1/users/\(userID)"),
            ]
            for (method, path) in probes {
                for credential in [nil, token, t.stack.adminToken, t.stack.serviceToken] {
                    let reply = try await t.call(method, path, json: method == "POST" ? [:] as [String: Any] : nil, token: credential)
                    #expect(reply.status == 404, "\(method) \(path) through the gateway answered \(reply.status)")
                }
            }
            // The public user operations still go through.
            #expect(try await t.call("GET", "/api/v1/users/profile", token: token).status == 200)
        }
    }

    @Test func serviceOperationsNeedAServiceCredential() async throws {
        try await TestStack.with(.memory) { t in
            let (userID, customerToken) = try await t.customer("direct")
            let calls: [(service: String, method: String, path: String, body: [String: Any]?)] = [
                ("catalog-service", "POST", "/api/v1/inventory/reservations", ["order_id": "steal", "items": [["product_id": 1, "quantity": 5]]]),
                ("catalog-service", "DELETE", "/api/v1/inventory/reservations/steal", nil),
                ("payment-service", "POST", "/api/v1/payments/process", ["order_id": "o", "amount": 1, "currency": "USD", "payment_method": "pm_card_visa"]),
                ("payment-service", "POST", "/api/v1/payments/pay_x/refund", nil),
                ("payment-service", "GET", "/api/v1/payments/order/o", nil),
                ("user-service", "GET", "/api/v1/users/\(userID)", nil),
            ]
            let stockBefore = try await t.stock(1)
            for call in calls {
                let anonymous = try await t.call(call.method, call.path, json: call.body, headers: [("Idempotency-Key", "k")], base: t.url(call.service))
                #expect(anonymous.status == 401, "\(call.method) \(call.path) without a token: \(anonymous.status)")
                let customer = try await t.call(call.method, call.path, json: call.body, token: customerToken,
                                                headers: [("Idempotency-Key", "k")], base: t.url(call.service))
                #expect(customer.status == 403, "\(call.method) \(call.path) with a customer's token: \(customer.status)")
                let forged = JWTSigner(secret: "guessed").serviceToken(for: "order-service")
                let wrongKey = try await t.call(call.method, call.path, json: call.body, token: forged, headers: [("Idempotency-Key", "k")], base: t.url(call.service))
                #expect(wrongKey.status == 401, "\(call.method) \(call.path) with a token signed by another key: \(wrongKey.status)")
            }
            #expect(try await t.stock(1) == stockBefore, "no stock was held by the refused calls")
            let allowed = try await t.internalCall("user-service", "GET", "/api/v1/users/\(userID)")
            #expect(allowed.status == 200)
        }
    }

    @Test func adminEndpointsNeedAnAdminToken() async throws {
        try await TestStack.with(.memory) { t in
            let (_, customerToken) = try await t.customer("admin-probe")
            let provider = t.url("payment-provider")
            let rollout: [String: Any] = ["percent": 0]
            #expect(try await t.call("PUT", "/admin/rollout", json: rollout).status == 401)
            #expect(try await t.call("PUT", "/admin/rollout", json: rollout, token: customerToken).status == 403)
            #expect(try await t.call("PUT", "/admin/rollout", json: rollout, token: t.stack.serviceToken).status == 403)
            #expect(try await t.call("PUT", "/admin/rollout", json: rollout, token: t.stack.adminToken).status == 200)
            let faults: [String: Any] = ["latency_ms": 0, "failure_rate": 1]
            #expect(try await t.call("PUT", "/admin/faults", json: faults, base: provider).status == 401)
            #expect(try await t.call("PUT", "/admin/faults", json: faults, token: customerToken, base: provider).status == 403)
            #expect(try await t.call("GET", "/admin/faults", base: provider).json["failure_rate"] as? Double == 0, "the refused change did not land")
        }
    }

    @Test func everyRunHasItsOwnSecret() {
        #expect(StackConfiguration().jwtSecret != StackConfiguration().jwtSecret)
        #expect(StackConfiguration().jwtSecret != JWTSigner.documentedExample)
        #expect(SingleServiceOptions(name: "user").jwtSecret != SingleServiceOptions(name: "user").jwtSecret)
    }

    @Test func unknownPathsAndMethodsDoNotGrowMetrics() async throws {
        try await TestStack.with(.memory) { t in
            for i in 0..<300 {
                _ = try await t.call("GET", "/probe-\(i)/a/b/c")
                _ = try await t.call("GET", "/api/v1/products/\(i)/x/y")
                _ = try await t.call("BREW\(i)", "/api/v1/products")
            }
            let metrics = try await t.call("GET", "/metrics")
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(!text.contains("probe-"))
            #expect(!text.contains("BREW"))
            #expect(text.utf8.count < 20_000, "metrics grew to \(text.utf8.count) bytes")
            let catalogMetrics = String(decoding: try await t.call("GET", "/metrics", base: t.url("catalog-service")).body, as: UTF8.self)
            #expect(!catalogMetrics.contains("/x/y"))
            #expect(catalogMetrics.utf8.count < 20_000)
        }
    }
}
