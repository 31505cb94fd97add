import Foundation
import ReferenceServices
import Testing
import TransportKafka

/// The order saga end to end, through the gateway, with events read back from the broker.
@Suite struct PurchaseSagaTests {
    @Test(arguments: StoreKind.available)
    func happyPurchaseReservesChargesConfirmsAndPublishes(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (userID, token) = try await t.customer("happy")
            let product = try await t.product(3)
            let price = try #require(decimal(product["price"]))
            let before = try #require(product["stock_quantity"] as? Int)
            let reply = try await t.order(token, items: [(3, 2)], key: "happy-1")
            #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
            let order = reply.json
            let orderID = try #require(order["id"] as? String)
            #expect(order["status"] as? String == "confirmed")
            #expect(order["user_id"] as? String == userID)
            let subtotal = price * 2
            #expect(decimal(order["subtotal"]) == subtotal)
            let tax = try #require(decimal(order["tax"]))
            let shipping = try #require(decimal(order["shipping"]))
            #expect(decimal(order["total"]) == subtotal + tax + shipping)
            #expect(try await t.stock(3) == before - 2)

            let payments = try #require(try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/\(orderID)").json["payments"] as? [[String: Any]])
            #expect(payments.count == 1)
            #expect(payments.first?["status"] as? String == "completed")
            #expect(decimal(payments.first?["amount"]) == decimal(order["total"]))

            let fetched = try await t.call("GET", "/api/v1/orders/\(orderID)", token: token)
            #expect(fetched.json["status"] as? String == "confirmed")
            let mine = try await t.call("GET", "/api/v1/orders/user/\(userID)", token: token)
            #expect((mine.json["orders"] as? [[String: Any]])?.map { $0["id"] as? String } == [orderID])

            let events = try await t.events(for: orderID, until: ["order.created", "inventory.reserved", "payment.completed", "order.confirmed"])
            #expect(Set(events.map(\.type)).isSuperset(of: ["order.created", "inventory.reserved", "payment.completed", "order.confirmed"]))
            #expect(!events.contains { $0.type == "order.cancelled" })
            let created = try #require(events.first { $0.type == "order.created" })
            #expect(created.envelope["event_type"] as? String == "order.created")
            #expect(created.envelope["aggregate_id"] as? String == orderID)
            #expect(created.envelope["event_id"] is String && created.envelope["event_timestamp"] is String)
            #expect(created.payload["user_id"] as? String == userID)
            #expect(decimal(created.payload["total_amount"]) == decimal(order["total"]))
            #expect(created.message.header("event_type") == "order.created")
            #expect(created.message.header("event_version") == "1")
            let correlation = try #require(created.message.header("correlation_id"))
            #expect(events.allSatisfy { $0.envelope["correlation_id"] as? String == correlation }, "one correlation id across the saga")
            let paid = try #require(events.first { $0.type == "payment.completed" })
            #expect(paid.payload["order_id"] as? String == orderID)
            #expect(paid.payload["transaction_id"] as? String != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func outOfStockIs409AndChargesNothing(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("oos")
            try await t.setStock(4, 1)
            let reply = try await t.order(token, items: [(5, 1), (4, 2)])
            #expect(reply.status == 409)
            #expect(reply.errorCode == "out_of_stock")
            #expect(reply.errorMessage.contains("4"))
            let orderID = try #require((reply.json["error"] as? [String: Any])?["order_id"] as? String)
            let payments = try #require(try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/\(orderID)").json["payments"] as? [Any])
            #expect(payments.isEmpty)
            #expect(try await t.stock(4) == 1)
            let cancelled = try await t.call("GET", "/api/v1/orders/\(orderID)", token: token)
            #expect(cancelled.json["status"] as? String == "cancelled")
            let events = try await t.events(for: orderID, until: ["order.created", "order.cancelled"])
            #expect(!events.contains { $0.type == "payment.completed" || $0.type == "payment.failed" || $0.type == "inventory.reserved" })
        }
    }

    @Test(arguments: StoreKind.available)
    func declinedPaymentIs402AndReleasesTheReservation(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("declined")
            let before = try await t.stock(6)
            let reply = try await t.order(token, items: [(6, 3)], paymentMethod: "pm_card_chargeDeclinedInsufficientFunds")
            #expect(reply.status == 402)
            #expect(reply.errorCode == "payment_declined")
            #expect(reply.errorMessage.contains("insufficient funds"))
            let orderID = try #require((reply.json["error"] as? [String: Any])?["order_id"] as? String)
            #expect(try await t.stock(6) == before)
            let events = try await t.events(for: orderID, until: ["order.created", "inventory.reserved", "payment.failed", "inventory.released", "order.cancelled"])
            #expect(Set(events.map(\.type)) == ["order.created", "inventory.reserved", "payment.failed", "inventory.released", "order.cancelled"])
            let failed = try #require(events.first { $0.type == "payment.failed" })
            #expect(failed.payload["reason"] as? String == "insufficient_funds")
            let payments = try #require(try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/\(orderID)").json["payments"] as? [[String: Any]])
            #expect(payments.map { $0["status"] as? String } == ["failed"])
        }
    }

    @Test(arguments: StoreKind.available)
    func cancellingAConfirmedOrderRefundsAndRestocks(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("cancel")
            let before = try await t.stock(7)
            let order = try await t.order(token, items: [(7, 1)])
            #expect(order.status == 201)
            let orderID = try #require(order.json["id"] as? String)
            let paymentID = try #require(order.json["payment_id"] as? String)
            let cancelled = try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token)
            #expect(cancelled.status == 200)
            #expect(cancelled.json["status"] as? String == "cancelled")
            #expect(try await t.stock(7) == before)
            let payment = try await t.internalCall("payment-service", "GET", "/api/v1/payments/\(paymentID)").json
            #expect(payment["status"] as? String == "refunded")
            #expect(decimal(payment["refunded_amount"]) == decimal(payment["amount"]))
            let again = try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token)
            #expect(again.status == 409)
            let events = try await t.events(for: orderID, until: ["payment.refunded", "inventory.released", "order.cancelled"])
            #expect(events.contains { $0.type == "payment.refunded" })
        }
    }

    @Test(arguments: StoreKind.available)
    func statusMovesOnlyForwardAndOnlyForAdmins(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("status")
            let orderID = try #require(try await t.order(token, items: [(8, 1)]).json["id"] as? String)
            let path = "/api/v1/orders/\(orderID)/status"
            #expect(try await t.call("PUT", path, json: ["status": "shipped"], token: token).status == 403)
            #expect(try await t.call("PUT", path, json: ["status": "delivered"], token: t.stack.adminToken).status == 409)
            #expect(try await t.call("PUT", path, json: ["status": "shipped"], token: t.stack.adminToken).status == 200)
            let delivered = try await t.call("PUT", path, json: ["status": "delivered"], token: t.stack.adminToken)
            #expect(delivered.status == 200)
            let history = (delivered.json["status_history"] as? [[String: Any]])?.compactMap { $0["to"] as? String }
            #expect(history == ["pending", "confirmed", "shipped", "delivered"])
            #expect(try await t.call("PUT", path, json: ["status": "shipped"], token: t.stack.adminToken).status == 409)
            #expect(try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token).status == 409)
            #expect(try await t.call("PUT", path, json: ["status": "lost"], token: t.stack.adminToken).status == 422)
            _ = try await t.events(for: orderID, until: ["order.shipped"])
        }
    }

    @Test(arguments: StoreKind.available)
    func fiftyConcurrentOrdersForTheLastTenUnitsSellExactlyTen(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            try await t.setStock(9, 10)
            var customers: [String] = []
            for i in 0..<5 { customers.append(try await t.customer("rush\(i)").token) }
            let tokens = customers
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<50 { group.addTask { try await t.order(tokens[i % 5], items: [(9, 1)]).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 10)
            #expect(statuses.filter { $0 == 409 }.count == 40)
            #expect(try await t.stock(9) == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func repeatedOrderWithTheSameKeyIsPlacedOnce(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("idem")
            let before = try await t.stock(10)
            let replies = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<5 { group.addTask { let r = try await t.order(token, items: [(10, 1)], key: "same-key"); return (r.status, r.json["id"] as? String) } }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.0 == 201 })
            #expect(Set(replies.map(\.1)).count == 1)
            #expect(try await t.stock(10) == before - 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func providerOutageIs502AndLeavesStockAlone(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.providerFaults = ProviderFaults(latencyMs: 0, failureRate: 1) }) { t in
            let (_, token) = try await t.customer("outage")
            let before = try await t.stock(11)
            let reply = try await t.order(token, items: [(11, 1)])
            #expect(reply.status == 502)
            #expect(try await t.stock(11) == before)
            let orderID = try #require((reply.json["error"] as? [String: Any])?["order_id"] as? String)
            let events = try await t.events(for: orderID, until: ["payment.failed", "order.cancelled"])
            #expect(events.first { $0.type == "payment.failed" }?.payload["reason"] as? String == "provider_error")
        }
    }
}
