import Foundation
import ReferenceServices
import Testing

/// Inputs an attacker or a careless client sends: each is a 4xx naming the field, the same from
/// both stores, and the process keeps serving.
@Suite struct HostileInputTests {
    @Test(arguments: StoreKind.available)
    func numbersThatWouldOverflowAreRefused(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let page = try await t.call("GET", "/api/v1/products?page=9223372036854775807&per_page=100")
            #expect(page.status == 422)
            #expect(page.errorMessage.contains("'page'"))

            let summed = try await t.internalCall("catalog-service", "POST", "/api/v1/inventory/reservations", json: [
                "order_id": "overflow", "items": [["product_id": 1, "quantity": Int.max], ["product_id": 1, "quantity": Int.max]],
            ])
            #expect(summed.status == 422)
            #expect(summed.errorMessage.contains("items[0].quantity"))
            let bigID = try await t.internalCall("catalog-service", "POST", "/api/v1/inventory/reservations", json: [
                "order_id": "big-id", "items": [["product_id": Int.max, "quantity": 1]],
            ])
            #expect(bigID.status == 422)
            #expect(bigID.errorMessage.contains("items[0].product_id"))

            let adjust = try await t.call("POST", "/api/v1/products/1/inventory", json: ["adjustment": Int.max], token: t.stack.adminToken)
            #expect(adjust.status == 422)
            #expect(adjust.errorMessage.contains("'adjustment'"))
            let tooMuch = try await t.call("POST", "/api/v1/products/1/inventory", json: ["stock_quantity": 5_000_000], token: t.stack.adminToken)
            #expect(tooMuch.status == 422)
            try await t.setStock(1, 999_999)
            let over = try await t.call("POST", "/api/v1/products/1/inventory", json: ["adjustment": 2], token: t.stack.adminToken)
            #expect(over.status == 409, "the same refusal from both stores")
            #expect(over.errorMessage.contains("between 0 and 1000000"))
            #expect(try await t.stock(1) == 999_999)

            let (_, token) = try await t.customer("overflow")
            let lines = (0..<101).map { _ in (2, 1) }
            let many = try await t.order(token, items: lines)
            #expect(many.status == 422)
            #expect(many.errorMessage.contains("'items'"))

            #expect(try await t.call("GET", "/health").status == 200, "the gateway is still up")
            #expect(try await t.call("GET", "/health", base: t.url("catalog-service")).status == 200, "the catalog is still up")
        }
    }

    @Test(arguments: StoreKind.available)
    func moneyStaysExactAndBounded(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            // 2^63 / 100 + a little: the cents would wrap to a tiny charge.
            let wrapping = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: [
                "order_id": "wrap", "amount": Decimal(string: "92233720368547758.09")!, "currency": "USD", "payment_method": "pm_card_visa",
            ] as [String: Any], headers: [("Idempotency-Key", "wrap-1")])
            #expect(wrapping.status == 422)
            #expect(wrapping.errorMessage.contains("'amount'"))
            let fractional = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: [
                "order_id": "frac", "amount": 10.001, "currency": "USD", "payment_method": "pm_card_visa",
            ], headers: [("Idempotency-Key", "frac-1")])
            #expect(fractional.status == 422)
            #expect(fractional.errorMessage.contains("two decimal places"))
            let payments = try await t.internalCall("payment-service", "GET", "/api/v1/payments/order/wrap").json["payments"] as? [Any]
            #expect(payments?.isEmpty == true, "nothing was charged")

            let paid = try await t.internalCall("payment-service", "POST", "/api/v1/payments/process", json: [
                "order_id": "refund-big", "amount": 20, "currency": "USD", "payment_method": "pm_card_visa",
            ], headers: [("Idempotency-Key", "refund-big-1")])
            let id = try #require(paid.json["id"] as? String)
            let refund = try await t.internalCall("payment-service", "POST", "/api/v1/payments/\(id)/refund", json: ["amount": 1e30])
            #expect(refund.status == 422)

            let price = try await t.call("POST", "/api/v1/products", json: ["sku": "HUGE-1", "name": "Huge", "price": 1e20], token: t.stack.adminToken)
            #expect(price.status == 422)
            #expect(price.errorMessage.contains("'price'"))
            let provider = t.url("payment-provider")
            let intent = try await t.call("POST", "/v1/payment_intents", json: ["amount": Int.max, "currency": "usd", "payment_method": "pm_card_visa"], base: provider)
            #expect(intent.status == 400)
            let latency = try await t.call("PUT", "/admin/faults", json: ["latency_ms": Int.max, "failure_rate": 0], token: t.stack.adminToken, base: provider)
            #expect(latency.status == 422)
            #expect(try await t.call("GET", "/health", base: provider).status == 200)
        }
    }

    @Test(arguments: StoreKind.available)
    func stringsWithControlCharactersOrNoEndAreRefused(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let victim = try await t.call("POST", "/api/v1/users/register", json: [
                "email": "victim@example.com", "password": "password123", "first_name": "V", "last_name": "Ictim",
            ])
            #expect(victim.status == 201)
            let impostor = try await t.call("POST", "/api/v1/users/register", json: [
                "email": "victim@example.com\u{0}x", "password": "password123", "first_name": "I", "last_name": "Mpostor",
            ])
            #expect(impostor.status == 422)
            #expect(impostor.errorMessage.contains("'email'"))
            #expect(impostor.errorMessage.contains("control characters"))
            let huge = try await t.call("POST", "/api/v1/users/register", json: [
                "email": "huge@example.com", "password": "password123", "first_name": String(repeating: "A", count: 3_000_000), "last_name": "B",
            ])
            #expect(huge.status == 422)
            #expect(huge.errorMessage.contains("'first_name' must have at most 100 characters"))
            let (_, token) = try await t.customer("strings")
            var address = TestStack.address
            address["city"] = "Spring\u{7}field"
            let bell = try await t.call("POST", "/api/v1/orders", json: ["items": [["product_id": 1, "quantity": 1]], "shipping_address": address,
                                                                        "payment_method": "pm_card_visa"], token: token)
            #expect(bell.status == 422)
            #expect(bell.errorMessage.contains("shipping_address.city"))
            let key = try await t.order(token, items: [(1, 1)], key: String(repeating: "k", count: 300))
            #expect(key.status == 422)
            #expect(key.errorMessage.contains("Idempotency-Key"))
        }
    }

    @Test(arguments: StoreKind.available)
    func bothStoresGiveTheSameAnswers(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let percent = try await t.call("GET", "/api/v1/products?q=%25")
            #expect(percent.status == 200)
            #expect(percent.json["total"] as? Int == 0, "`%` is a character to find, not a wildcard")
            let underscore = try await t.call("GET", "/api/v1/products?q=_")
            #expect(underscore.json["total"] as? Int == 0)
            let unknownCategory = try await t.call("PUT", "/api/v1/products/1", json: ["category_id": 999_999], token: t.stack.adminToken)
            #expect(unknownCategory.status == 422)
            #expect(unknownCategory.errorMessage.contains("unknown category"))
            let created = try await t.call("POST", "/api/v1/products", json: ["sku": "CAT-1", "name": "X", "price": 1, "category_id": 999_999],
                                           token: t.stack.adminToken)
            #expect(created.status == 422)
            let maxPrice = try await t.call("POST", "/api/v1/products", json: ["sku": "MAX-1", "name": "Max", "price": 1_000_000], token: t.stack.adminToken)
            #expect(maxPrice.status == 201, "the documented maximum is accepted by both stores")
        }
    }
}
