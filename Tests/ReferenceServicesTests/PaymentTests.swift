import Foundation
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
        }
    }

    @Test func paymentRequestsAreValidated() async throws {
        try await TestStack.with(.memory) { t in
            let good: [String: Any] = ["order_id": "o", "amount": 1, "currency": "USD", "payment_method": "pm_card_visa"]
            #expect(try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: good).status == 400)
            var bad = good
            bad["amount"] = -3
            #expect(try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: bad, headers: [("Idempotency-Key", "x")]).status == 422)
            bad = good
            bad["payment_method"] = "pm_card_unknown"
            let unknown = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: bad, headers: [("Idempotency-Key", "y")])
            #expect(unknown.status == 422)
            #expect(unknown.errorMessage.contains("pm_card_unknown"))
        }
    }

    @Test func providerFaultsAreSetThroughItsAdminEndpoint() async throws {
        try await TestStack.with(.memory) { t in
            let provider = t.url("payment-provider")
            let set = try await t.call("PUT", "/admin/faults", json: ["latency_ms": 150, "failure_rate": 0], token: t.stack.adminToken, base: provider)
            #expect(set.status == 200)
            let start = Date()
            let reply = try await t.call("POST", "/v1/payment_intents", json: ["amount": 500, "currency": "usd", "payment_method": "pm_card_visa"], base: provider)
            #expect(reply.status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.15)
            let intentID = try #require(reply.json["id"] as? String)
            let fetched = try await t.call("GET", "/v1/payment_intents/\(intentID)", base: provider)
            #expect(fetched.json["status"] as? String == "succeeded")
            #expect(try await t.call("GET", "/v1/payment_intents/pi_missing", base: provider).status == 404)
            _ = try await t.call("PUT", "/admin/faults", json: ["latency_ms": 0, "failure_rate": 1], token: t.stack.adminToken, base: provider)
            #expect(try await t.call("POST", "/v1/payment_intents", json: ["amount": 500, "currency": "usd", "payment_method": "pm_card_visa"], base: provider).status == 500)
            #expect(try await t.call("PUT", "/admin/faults", json: ["latency_ms": 0, "failure_rate": 2], token: t.stack.adminToken, base: provider).status == 422)
            // 2 %: the share is spread evenly from the first request on, so a short run sees it.
            _ = try await t.call("PUT", "/admin/faults", json: ["latency_ms": 0, "failure_rate": 0.02], token: t.stack.adminToken, base: provider)
            var failed: [Int] = []
            for i in 0..<60 {
                let status = try await t.call("POST", "/v1/payment_intents", json: ["amount": 500, "currency": "usd", "payment_method": "pm_card_visa"], base: provider).status
                if status == 500 { failed.append(i) }
            }
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
