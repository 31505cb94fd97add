import Foundation
import HTTPTypes
import ReferenceServices
import Testing

@Suite struct PaymentTests {
    @Test(arguments: StoreKind.available)
    func twentyConcurrentDuplicatesChargeOnce(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let orderID = UUID().uuidString.lowercased()
            let body: @Sendable () -> [String: Any] = { ["order_id": orderID, "amount": 42.5, "currency": "USD", "payment_method": "pm_card_visa"] }
            let replies = try await withThrowingTaskGroup(of: TestStack.Reply.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: body(), headers: [("Idempotency-Key", "pay-once")]) }
                }
                return try await group.reduce(into: [TestStack.Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 201 })
            #expect(Set(replies.compactMap { $0.json["id"] as? String }).count == 1)
            let payments = try #require(try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/\(orderID)").json["payments"] as? [[String: Any]])
            #expect(payments.count == 1)
            #expect(decimal(payments[0]["amount"]) == Decimal(string: "42.5"))
            // Later, the same key still answers with the first result.
            let later = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: body(), headers: [("Idempotency-Key", "pay-once")])
            #expect(later.json["id"] as? String == payments[0]["id"] as? String)
        }
    }

    @Test func declinedReplaysAsDeclinedAndRefundsWork() async throws {
        try await TestStack.with(.memory) { t in
            let body: [String: Any] = ["order_id": "o-1", "amount": 10, "currency": "USD", "payment_method": "pm_card_chargeDeclined"]
            let first = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: body, headers: [("Idempotency-Key", "d-1")])
            #expect(first.status == 402)
            #expect((first.json["error"] as? [String: Any])?["decline_code"] as? String == "generic_decline")
            let replay = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: body, headers: [("Idempotency-Key", "d-1")])
            #expect(replay.status == 402)
            #expect(replay.body == first.body)

            let paid = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process",
                                        json: ["order_id": "o-2", "amount": 30, "currency": "USD", "payment_method": "pm_card_mastercard"],
                                        headers: [("Idempotency-Key", "p-2")])
            let id = try #require(paid.json["id"] as? String)
            let partial = try await t.internalCall("payment-service", "POST", "/api/v1/payments/\(id)/refund", json: ["amount": 10, "reason": "damaged"])
            #expect(partial.status == 200)
            #expect(partial.json["status"] as? String == "completed")
            #expect(decimal(partial.json["refunded_amount"]) == 10)
            let rest = try await t.internalCall("payment-service", "POST", "/api/v1/payments/\(id)/refund")
            #expect(rest.json["status"] as? String == "refunded")
            #expect(try await t.internalCall("payment-service", "POST", "/api/v1/payments/\(id)/refund", json: ["amount": 5]).status == 200)
            #expect(try await t.internalCall("payment-service", "GET", "/api/v1/payments/pay_nope").status == 404)
            // The provider knows the payment methods; the service passes its refusal on.
            let unknown = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process",
                                                   json: ["order_id": "o-3", "amount": 1, "currency": "USD", "payment_method": "pm_card_unknown"],
                                                   headers: [("Idempotency-Key", "u-3")])
            #expect(unknown.status == 422)
            #expect(unknown.errorMessage.contains("pm_card_unknown"))
        }
    }

    @Test func paymentRequestsAreValidated() async throws {
        try await InProcessService.paymentWithoutProvider { s in
            let service = s.serviceToken
            let good: [String: Any] = ["order_id": "o", "amount": 1, "currency": "USD", "payment_method": "pm_card_visa"]
            #expect(try await s.call(.post, "/api/v1/payments/process", json: good, token: service).status == 400, "no Idempotency-Key")
            #expect(try await s.call(.post, "/api/v1/payments/process", json: good, headers: [.idempotencyKey: "w"]).status == 401, "no service credential")
            var bad = good
            bad["amount"] = -3
            #expect(try await s.call(.post, "/api/v1/payments/process", json: bad, token: service, headers: [.idempotencyKey: "x"]).status == 422)
            bad = good
            bad.removeValue(forKey: "currency")
            let missing = try await s.call(.post, "/api/v1/payments/process", json: bad, token: service, headers: [.idempotencyKey: "y"])
            #expect(missing.status == 422, "\(missing.status)")
            #expect(missing.errorMessage.contains("currency"), "\(missing.errorMessage)")
        }
    }

    @Test func providerFaultsAreSetThroughItsAdminEndpoint() async throws {
        try await InProcessService.paymentProvider { s in
            let admin = s.adminToken
            let intent: [String: Any] = ["amount": 500, "currency": "usd", "payment_method": "pm_card_visa"]
            let set = try await s.call(.put, "/admin/faults", json: ["latency_ms": 150, "failure_rate": 0], token: admin)
            #expect(set.status == 200)
            #expect(try await s.call(.put, "/admin/faults", json: ["latency_ms": 0, "failure_rate": 0], token: s.customerToken()).status == 403)
            let start = ContinuousClock.now
            let reply = try await s.call(.post, "/v1/payment_intents", json: intent)
            #expect(reply.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            let intentID = try #require(reply.json["id"] as? String)
            let fetched = try await s.call(.get, "/v1/payment_intents/\(intentID)")
            #expect(fetched.json["status"] as? String == "succeeded")
            #expect(try await s.call(.get, "/v1/payment_intents/pi_missing").status == 404)
            _ = try await s.call(.put, "/admin/faults", json: ["latency_ms": 0, "failure_rate": 1], token: admin)
            #expect(try await s.call(.post, "/v1/payment_intents", json: intent).status == 500)
            #expect(try await s.call(.put, "/admin/faults", json: ["latency_ms": 0, "failure_rate": 2], token: admin).status == 422)
            // 2 %: the share is spread evenly from the first request on, so a short run sees it.
            _ = try await s.call(.put, "/admin/faults", json: ["latency_ms": 0, "failure_rate": 0.02], token: admin)
            var failed: [Int] = []
            for i in 0..<60 where try await s.call(.post, "/v1/payment_intents", json: intent).status == 500 { failed.append(i) }
            #expect(failed == [0, 50], "\(failed)")
        }
    }

    @Test func theProviderMakesOneIntentPerIdempotencyKeyEvenUnderConcurrency() async throws {
        try await TestStack.with(.memory) { t in
            let provider = t.url("payment-provider")
            let body: @Sendable () -> [String: Any] = { ["amount": 1999, "currency": "usd", "payment_method": "pm_card_visa"] }
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await t.call("POST", "/v1/payment_intents", json: body(), headers: [("Idempotency-Key", "one-key")], base: provider).json["id"] as? String }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(ids.allSatisfy { $0 != nil })
            #expect(Set(ids).count == 1, "20 concurrent requests with one key made \(Set(ids).count) intents")
            let replay = try await t.call("POST", "/v1/payment_intents", json: body(), headers: [("Idempotency-Key", "one-key")], base: provider)
            #expect(replay.header("Idempotent-Replayed") == "true")
            #expect(replay.json["id"] as? String == ids.first!)
            let reused = try await t.call("POST", "/v1/payment_intents", json: ["amount": 1, "currency": "usd", "payment_method": "pm_card_visa"],
                                          headers: [("Idempotency-Key", "one-key")], base: provider)
            #expect(reused.status == 422)
            #expect(reused.errorCode == "idempotency_key_reused")
        }
    }
}
