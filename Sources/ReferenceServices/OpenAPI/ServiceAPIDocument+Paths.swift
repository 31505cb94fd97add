import Foundation

/// The operations of each service. `proxied` marks the gateway's copy of a public operation
/// (it may also answer 502/504 when the service behind it does not).
extension ServiceAPIDocument {
    typealias S = OpenAPISchemas

    static func userPaths(proxied: Bool) -> [String: Any] {
        var paths: [String: Any] = [
            "/api/v1/users/register": ["post": operation("Register a customer", [201: reply("registered", S.ref("User"))], errors: [409],
                                                         body: S.ref("Registration"), proxied: proxied)],
            "/api/v1/users/login": ["post": operation("Log in; a bearer token", [200: reply("logged in", S.ref("LoginResult"))], errors: [401],
                                                      body: S.ref("Login"), proxied: proxied)],
            "/api/v1/users/profile": [
                "get": operation("The caller's profile", [200: reply("profile", S.ref("User"))], errors: [], secured: true, proxied: proxied),
                "put": operation("Change the caller's profile", [200: reply("changed", S.ref("User"))], errors: [], body: S.ref("ProfileChange"),
                                 secured: true, proxied: proxied),
            ],
            "/api/v1/users/addresses": [
                "get": operation("The caller's addresses", [200: reply("addresses", S.ref("Addresses"))], errors: [], secured: true, proxied: proxied),
                "post": operation("Add an address", [201: reply("added", S.ref("Address"))], errors: [], body: S.ref("NewAddress"),
                                  secured: true, proxied: proxied),
            ],
        ]
        if !proxied {
            paths["/api/v1/users/{id}"] = ["get": operation("A user by id (service-to-service)", [200: reply("user", S.ref("User"))],
                                                            errors: [403, 404], parameters: [pathParameter("id")], secured: true)]
        }
        return paths
    }

    static func catalogPaths(proxied: Bool) -> [String: Any] {
        let id = pathParameter("id", S.integer(1, InputLimits.maxID))
        return [
            "/api/v1/products": [
                "get": operation("List products", [200: reply("a page", S.ref("ProductPage"))], errors: [422], parameters: [
                    query("page", S.integer(1, InputLimits.maxPage)), query("per_page", S.integer(1, 100)),
                    query("category", S.string(max: 100)), query("q", S.string(max: 200)),
                ], proxied: proxied),
                "post": operation("Create a product (admin)", [201: reply("created", S.ref("Product"))], errors: [403, 409],
                                  body: S.ref("NewProduct"), secured: true, proxied: proxied),
            ],
            "/api/v1/products/{id}": [
                "get": operation("A product", [200: reply("product", S.ref("Product"))], errors: [404], parameters: [id], proxied: proxied),
                "put": operation("Change a product (admin)", [200: reply("changed", S.ref("Product"))], errors: [403, 404, 409],
                                 body: S.ref("ProductInput"), parameters: [id], secured: true, proxied: proxied),
            ],
            "/api/v1/products/{id}/inventory": [
                "post": operation("Set or adjust stock (admin)", [200: reply("changed", S.ref("Product"))], errors: [403, 404, 409],
                                  body: S.ref("StockChange"), parameters: [id], secured: true, proxied: proxied),
            ],
            "/api/v1/categories": ["get": operation("The category tree", [200: reply("categories", S.ref("Categories"))], errors: [], proxied: proxied)],
        ]
    }

    static var internalCatalogPaths: [String: Any] {
        [
            "/api/v1/inventory/reservations": ["post": operation(
                "Reserve stock for an order, all or nothing (service-to-service)", [201: reply("reserved", S.ref("Reservation"))],
                errors: [403, 409], body: S.ref("ReservationRequest"), secured: true)],
            "/api/v1/inventory/reservations/{order_id}": ["delete": operation(
                "Release an order's reservation (service-to-service)", [200: reply("released, or none", S.ref("Reservation"))],
                errors: [403, 422], parameters: [pathParameter("order_id")], secured: true)],
        ]
    }

    static func orderPaths(proxied: Bool) -> [String: Any] {
        let id = pathParameter("id")
        return [
            "/api/v1/orders": ["post": operation(
                "Place an order: reserve, charge, confirm (the saga)", [201: reply("confirmed", S.ref("Order"))],
                errors: [402, 409, 502], body: S.ref("NewOrder"), parameters: [header("Idempotency-Key", required: false)],
                secured: true, proxied: proxied)],
            "/api/v1/orders/{id}": [
                "get": operation("An order of the caller", [200: reply("order", S.ref("Order"))], errors: [404], parameters: [id],
                                 secured: true, proxied: proxied),
                "delete": operation("Cancel an order: refund, then release", [200: reply("cancelled", S.ref("Order"))],
                                    errors: [404, 409, 502], parameters: [id], secured: true, proxied: proxied),
            ],
            "/api/v1/orders/{id}/status": ["put": operation(
                "Move an order's status (admin)", [200: reply("moved", S.ref("Order"))], errors: [403, 404, 409, 502],
                body: S.ref("StatusUpdate"), parameters: [id], secured: true, proxied: proxied)],
            "/api/v1/orders/user/{userId}": ["get": operation(
                "A user's orders (the user or an admin)", [200: reply("orders", S.ref("Orders"))], errors: [403],
                parameters: [pathParameter("userId")], secured: true, proxied: proxied)],
        ]
    }

    static var paymentPaths: [String: Any] {
        [
            "/api/v1/payments/process": ["post": operation(
                "Charge once per idempotency key (service-to-service)",
                [201: reply("charged", S.ref("Payment")), 402: reply("declined", S.ref("Declined"))],
                errors: [403, 502], body: S.ref("Charge"), parameters: [header("Idempotency-Key", required: true)], secured: true)],
            "/api/v1/payments/{id}": ["get": operation(
                "A payment (service-to-service)", [200: reply("payment", S.ref("Payment"))], errors: [403, 404],
                parameters: [pathParameter("id")], secured: true)],
            "/api/v1/payments/{id}/refund": ["post": operation(
                "Refund all or part (service-to-service)", [200: reply("refunded", S.ref("Payment"))], errors: [403, 404, 409, 502],
                body: S.ref("RefundRequest"), parameters: [pathParameter("id")], secured: true)],
            "/api/v1/payments/order/{orderId}": ["get": operation(
                "An order's payments (service-to-service)", [200: reply("payments", S.ref("Payments"))], errors: [403],
                parameters: [pathParameter("orderId")], secured: true)],
        ]
    }

    static var providerPaths: [String: Any] {
        [
            "/v1/payment_intents": ["post": operation(
                "Create and confirm a payment intent (Stripe-like test cards)",
                [200: reply("succeeded", S.ref("Intent")), 402: reply("card declined", S.ref("CardDeclined"))],
                errors: [500], body: S.ref("IntentRequest"), parameters: [header("Idempotency-Key", required: false)])],
            "/v1/payment_intents/{id}": ["get": operation(
                "A payment intent", [200: reply("intent", S.ref("Intent"))], errors: [404], parameters: [pathParameter("id")])],
            "/v1/refunds": ["post": operation(
                "Refund an intent", [200: reply("refunded", S.ref("ProviderRefund"))], errors: [404, 500],
                body: S.ref("ProviderRefundRequest"), parameters: [header("Idempotency-Key", required: false)])],
            "/admin/faults": [
                "get": operation("The injected faults", [200: reply("faults", S.ref("Faults"))], errors: []),
                "put": operation("Inject faults (admin)", [200: reply("set", S.ref("Faults"))], errors: [403], body: S.ref("Faults"), secured: true),
            ],
        ]
    }

    /// `GET /admin/export/TABLE`: rows in key order, page by page (admin).
    static func exportPaths(_ tables: [String]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: tables.map { table in
            ("/admin/export/\(table)", ["get": operation("Rows of \(table) in key order, for consistency checks (admin)", [200: reply("a page", S.ref("ExportPage"))],
                                                         errors: [403, 422], parameters: [query("after", S.string(max: 64)), query("limit", S.integer(1, 5000)),
                                                                      query("keys", S.string(max: 4_000))],
                                                         secured: true)] as [String: Any])
        })
    }

    static var backfillPaths: [String: Any] {
        ["/admin/backfill": ["post": operation("Copy the users and orders each side of the migration lacks (admin)", [200: reply("copied", S.ref("Backfill"))],
                                               errors: [403], secured: true)]]
    }

    static var rolloutPaths: [String: Any] {
        [
            "/admin/rollout": [
                "get": operation("The strangler rollout", [200: reply("rollout", S.ref("Rollout"))], errors: []),
                "put": operation("Set the share of users on the new services (admin; with X-Rollout-Lease while a lease is in force)",
                                 [200: reply("set", S.ref("Rollout"))], errors: [403, 409], body: S.ref("RolloutChange"), secured: true),
            ],
            "/admin/rollout/lease": [
                "post": operation("Take the rollout for a while (admin): a second holder is refused", [201: reply("granted", S.ref("Lease"))],
                                  errors: [403, 409], body: S.ref("LeaseRequest"), secured: true),
            ],
            "/admin/rollout/lease/{id}": [
                "put": operation("Extend a lease (admin)", [200: reply("extended", S.ref("Lease"))], errors: [403, 404], body: S.ref("LeaseRequest"),
                                 parameters: [pathParameter("id")], secured: true),
                "delete": operation("Release a lease (admin)", [200: reply("released", S.object(["released": ["type": "boolean"]], required: ["released"]))],
                                    errors: [403, 404], parameters: [pathParameter("id")], secured: true),
            ],
        ]
    }
}
