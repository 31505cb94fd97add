import Foundation
import ReferenceServices
import Testing
import TestSupport
import TransportKafka

/// A failure injected at each step of the purchase saga; every store's final state is checked:
/// no order left pending, no stock held, no customer charged for a cancelled order.
@Suite struct SagaFaultTests {
    /// Places an order for 2 of product 7 and returns the order (looked up again) and the reply.
    func placeOrder(_ t: TestStack) async throws -> (reply: TestStack.Reply, order: [String: Any], token: String) {
        let (_, token) = try await t.customer("fault")
        let reply = try await t.order(token, items: [(7, 2)])
        let orderID = try #require((reply.json["error"] as? [String: Any])?["order_id"] as? String ?? reply.json["id"] as? String, "\(reply.json)")
        let order = try await t.call("GET", "/api/v1/orders/\(orderID)", token: token).json
        return (reply, order, token)
    }

    func payments(_ t: TestStack, order: [String: Any]) async throws -> [[String: Any]] {
        let id = try #require(order["id"] as? String)
        return try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/\(id)").json["payments"] as? [[String: Any]] ?? []
    }

    @Test(arguments: StoreKind.available)
    func reservationFailingCancelsAndRecordsWhatCouldNotBeUndone(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.breakages = [.failRoute(service: "catalog-service", pathPrefix: "/api/v1/inventory")] }) { t in
            let stock = try await t.stock(7)
            let (reply, order, _) = try await placeOrder(t)
            #expect(reply.status == 502)
            #expect(order["status"] as? String == "cancelled")
            #expect((order["cancellation_reason"] as? String)?.hasPrefix("inventory_error") == true)
            let failures = order["compensation_failures"] as? [String] ?? []
            #expect(failures.contains { $0.contains("releasing the reservation failed") }, "\(failures)")
            #expect(try await t.stock(7) == stock)
            #expect(try await payments(t, order: order).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func paymentServiceFailingReleasesTheStock(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.breakages = [.failRoute(service: "payment-service", pathPrefix: "/api/v1/payments/process")] }) { t in
            let stock = try await t.stock(7)
            let (reply, order, _) = try await placeOrder(t)
            #expect(reply.status == 502)
            #expect(order["status"] as? String == "cancelled")
            #expect((order["compensation_failures"] as? [String])?.isEmpty == true)
            #expect(try await t.stock(7) == stock, "the reservation was released")
            #expect(try await payments(t, order: order).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func providerFailingCancelsWithoutACharge(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.providerFaults = ProviderFaults(latencyMs: 0, failureRate: 1) }) { t in
            let stock = try await t.stock(7)
            let (reply, order, _) = try await placeOrder(t)
            #expect(reply.status == 502)
            #expect(order["status"] as? String == "cancelled")
            #expect(try await t.stock(7) == stock)
            #expect(try await payments(t, order: order).isEmpty)
            let id = try #require(order["id"] as? String)
            let events = try await t.events(for: id, until: ["order.created", "inventory.reserved", "payment.failed", "inventory.released", "order.cancelled"])
            #expect(Set(events.map(\.type)).isSuperset(of: ["payment.failed", "inventory.released", "order.cancelled"]))
            #expect(!events.contains { $0.type == "payment.completed" })
        }
    }

    @Test func aProviderSlowerThanTheTimeoutDoesNotChargeACancelledOrder() async throws {
        try await TestStack.with(.memory, configure: {
            $0.providerFaults = ProviderFaults(latencyMs: 1500, failureRate: 0)
            $0.providerTimeout = 0.3
            $0.reconcileAfter = 0.2
        }) { t in
            let stock = try await t.stock(7)
            let (reply, order, _) = try await placeOrder(t)
            #expect(reply.status == 502 || reply.status == 402, "\(reply.json)")
            #expect(order["status"] as? String == "cancelled")
            #expect(try await t.stock(7) == stock)
            // The provider did charge, late; reconciliation finds it and voids it.
            #expect(try await eventually(timeout: 10) { try await !payments(t, order: order).isEmpty }, "reconciliation recorded the late charge")
            let recorded = try await payments(t, order: order)
            let payment = try #require(recorded.first, "reconciliation recorded the late charge")
            #expect(payment["status"] as? String == "failed")
            #expect(payment["failure_code"] as? String == "voided_after_timeout")
            #expect(decimal(payment["refunded_amount"]) == decimal(payment["amount"]))
            let intentID = try #require(payment["provider_payment_id"] as? String)
            let intent = try await t.call("GET", "/v1/payment_intents/\(intentID)", base: t.url("payment-provider")).json
            #expect(intent["amount_refunded"] as? Int == intent["amount"] as? Int, "the customer got the money back: \(intent)")
        }
    }

    @Test func anOutageOfTheBrokerLosesNoEvent() async throws {
        try await TestStack.with(.memory) { t in
            let broker = try #require(t.stack.embeddedBroker)
            let (_, token) = try await t.customer("outage")
            try broker.takeDown()
            let began = Date()
            let reply = try await t.order(token, items: [(7, 2)])
            let elapsed = Date().timeIntervalSince(began)
            #expect(reply.status == 201, "the purchase does not wait for the broker")
            let order = try await t.call("GET", "/api/v1/orders/\(try #require(reply.json["id"] as? String))", token: token).json
            #expect(order["status"] as? String == "confirmed")
            // Three services publish on the way (orders, catalog, payments), each waiting at most 2 s
            // for its events; the bound leaves room for a busy machine, far below a delivery timeout.
            #expect(elapsed < 20, "the order took \(elapsed) s")
            #expect(try await t.stack.outboxes.pendingEvents() > 0, "the events wait in the outbox")
            try broker.bringUp()
            // librdkafka reconnects with backoff: give it time.
            let drained = try await eventually(timeout: 30) { try await t.stack.outboxes.pendingEvents() == 0 }
            #expect(drained, "the outbox is empty once the broker is back")
            let id = try #require(order["id"] as? String)
            let events = try await t.events(for: id, until: ["order.created", "inventory.reserved", "payment.completed", "order.confirmed"])
            #expect(Set(events.map(\.type)) == ["order.created", "inventory.reserved", "payment.completed", "order.confirmed"])
        }
    }

    @Test(arguments: StoreKind.available)
    func cancellingRefundsBeforeItReleases(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let stock = try await t.stock(7)
            let (reply, order, token) = try await placeOrder(t)
            #expect(reply.status == 201)
            let id = try #require(order["id"] as? String)
            // The provider refuses refunds for a moment: the cancellation fails and nothing is released.
            _ = try await t.call("PUT", "/admin/faults", json: ["latency_ms": 0, "failure_rate": 1], token: t.stack.adminToken, base: t.url("payment-provider"))
            let refused = try await t.call("DELETE", "/api/v1/orders/\(id)", token: token)
            #expect(refused.status == 502)
            #expect(try await t.stock(7) == stock - 2, "no stock released while the money is not back")
            #expect(try await t.call("GET", "/api/v1/orders/\(id)", token: token).json["status"] as? String == "confirmed")
            _ = try await t.call("PUT", "/admin/faults", json: ["latency_ms": 0, "failure_rate": 0], token: t.stack.adminToken, base: t.url("payment-provider"))
            let cancelled = try await t.call("DELETE", "/api/v1/orders/\(id)", token: token)
            #expect(cancelled.status == 200)
            #expect(try await t.stock(7) == stock)
            #expect(try await payments(t, order: order).first?["status"] as? String == "refunded")
        }
    }
}
