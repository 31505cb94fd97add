import Foundation
import HTTPTypes
package import Hummingbird
import Logging

/// The order service. Creating an order is the guide's saga: order.created → reserve stock
/// at the catalog (409 → cancelled) → charge at the payment service (402 → release the
/// reservation, cancelled) → confirmed.
package struct OrderService: Sendable {
    let store: any OrderStore
    /// Publishes the events the store commits with each change.
    let outbox: OutboxRelay
    let signer: JWTSigner
    let catalog: PeerClient
    let payments: PeerClient
    let users: PeerClient
    let gate = SingleFlight<String, Order>()

    /// Sales tax on the subtotal, and the flat shipping fee below the free-shipping threshold.
    static let taxRate = Decimal(string: "0.08")!
    static let shippingFee = Decimal(string: "5.99")!
    static let freeShippingFrom = Decimal(50)

    package init(store: any OrderStore, outbox: OutboxRelay, signer: JWTSigner, catalog: PeerClient, payments: PeerClient, users: PeerClient) {
        self.store = store
        self.outbox = outbox
        self.signer = signer
        self.catalog = catalog
        self.payments = payments
        self.users = users
    }

    /// The correlation id and logger a saga step reports with.
    struct SagaContext: Sendable {
        let correlation: String
        let logger: Logger?
        init(correlation: String, logger: Logger?) {
            self.correlation = correlation
            self.logger = logger
        }
        init(_ context: ServiceContext) {
            self.init(correlation: context.correlationID, logger: context.logger)
        }
    }

    struct NewOrder: Decodable {
        struct Line: Decodable { let productId: Int; let quantity: Int }
        let items: [Line]
        let shippingAddress: ShippingAddress
        let paymentMethod: String
    }
    struct StatusUpdate: Decodable { let status: String; let note: String? }
    struct CatalogProduct: Decodable { let id: Int; let name: String; let price: Decimal; let active: Bool }
    struct PaymentReply: Decodable { let id: String; let status: String }

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "order-service", metrics: metrics, options: options, readiness: [
            "database": { await store.isReachable() }, "kafka": { await outbox.publisher.isReachable() },
        ])
        // The guide's order metrics (§13.1): created orders by success or error, and how long creating one took.
        router.add(middleware: OperationMetrics(method: .post, path: "/api/v1/orders", registry: metrics,
                                                counter: MetricName(metricName: "orders_created", unitName: "total", helpText: "Orders created, by outcome."),
                                                histogram: (MetricName(metricName: "order_creation_duration", unitName: "seconds", helpText: "Order creation duration."),
                                                            [0.1, 0.5, 1, 2, 5]),
                                                outcome: { (200..<300).contains($0) ? "success" : "error" }))
        addRoutes(to: router, options: options)
        return router
    }

    /// The service's API on `router` (the monolith mounts every module's on its own).
    func addRoutes(to router: Router<ServiceContext>, options: ServiceOptions) {
        ExportTable.orders(store).register(on: router, signer: signer)
        let orders = router.group("/api/v1/orders")
        orders.post("") { request, context in try await create(request, context) }
        orders.get("/user/:userId") { request, context in
            let claims = try signer.claims(request.header("Authorization"))
            let userID = try context.parameters.require("userId")
            guard claims.sub == userID || claims.role == "admin" else { throw APIError.forbidden }
            return try JSON.response(["orders": try await store.orders(userID: userID)])
        }
        orders.get("/:id") { request, context in
            try JSON.response(try await owned(request, context))
        }
        orders.put("/:id/status") { request, context in try await changeStatus(request, context) }
        orders.delete("/:id") { request, context in try await cancel(request, context) }
        if options.providerStates { providerStates().register(on: router, recorder: outbox.publisher.recorder, signer: signer) }
    }

    /// The states the contracts with the order service name: a real purchase by a new customer.
    func providerStates() -> ProviderStates {
        var states = ProviderStates()
        states.on("(?:an order is placed|an order is created)(?: for product (\\d+))?") { captures, params in
            let productID = params["product_id"]?.intValue ?? captures.first.flatMap { Int($0) } ?? 1
            let correlation = UUID().uuidString.lowercased()
            struct Registration: Encodable { let email: String; let password: String; let firstName: String; let lastName: String }
            struct Registered: Decodable { let id: String }
            let registered = try await users.call("POST", "/api/v1/users/register", body: Registration(
                email: "buyer-\(UUID().uuidString.prefix(8).lowercased())@example.com", password: "password123", firstName: "Bob", lastName: "Buyer"),
                correlationID: correlation)
            guard registered.status == 201 else { throw APIError(.badGateway, "state_failed", "the user service answered \(registered.status)") }
            let userID = try registered.decode(Registered.self).id
            let input = NewOrder(items: [.init(productId: productID, quantity: 1)],
                                 shippingAddress: ShippingAddress(street: "1 Main St", city: "Springfield", state: "IL", zipCode: "62701", country: "US"),
                                 paymentMethod: "pm_card_visa")
            let order = try await runSaga(input, userID: userID, key: nil, context: SagaContext(correlation: correlation, logger: nil))
            return ["key": .string(order.id), "order_id": .string(order.id), "status": .string(order.status.rawValue)]
        }
        return states
    }

    private func owned(_ request: Request, _ context: ServiceContext) async throws -> Order {
        let claims = try signer.claims(request.header("Authorization"))
        let id = try context.parameters.require("id")
        guard let order = try await store.order(id: id) else { throw APIError.notFound("order \(id)") }
        guard order.userId == claims.sub || claims.role == "admin" else { throw APIError.notFound("order \(id)") }
        return order
    }

    // MARK: the saga

    func create(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let claims = try signer.claims(request.header("Authorization"))
        let input = try await request.decodeJSON(NewOrder.self)
        guard !input.items.isEmpty else { throw APIError.invalid("'items' must not be empty") }
        guard input.items.count <= InputLimits.maxOrderLines else { throw APIError.invalid("'items' must have at most \(InputLimits.maxOrderLines) lines") }
        for (n, line) in input.items.enumerated() {
            try Validate.integer(line.productId, "items[\(n)].product_id", in: 1...InputLimits.maxID)
            try Validate.integer(line.quantity, "items[\(n)].quantity", in: 1...InputLimits.maxQuantity)
        }
        try input.shippingAddress.validate(prefix: "shipping_address.")
        try Validate.text(input.paymentMethod, "payment_method", max: 64)
        guard input.paymentMethod.hasPrefix("pm_") else { throw APIError.invalid("'payment_method' must be a payment method id (pm_…)") }

        let key = try request.header("Idempotency-Key").map(Validate.idempotencyKey)
        let run: @Sendable () async throws -> Order = {
            if let key, let earlier = try await store.order(userID: claims.sub, idempotencyKey: key) { return earlier }
            return try await runSaga(input, userID: claims.sub, key: key, context: SagaContext(context))
        }
        let order: Order
        if let key { order = try await gate.run(claims.sub + "\u{0}" + key, run) } else { order = try await run() }
        switch order.status {
        case .cancelled where order.cancellationReason?.hasPrefix("out_of_stock") == true:
            throw APIError(.conflict, "out_of_stock", "order \(order.id) was cancelled: \(order.cancellationReason!)",
                           details: ["order_id": .string(order.id)])
        case .cancelled where order.cancellationReason?.hasPrefix("payment_rejected") == true:
            throw APIError(.unprocessableContent, "payment_rejected", "order \(order.id) was cancelled: \(order.cancellationReason!)",
                           details: ["order_id": .string(order.id)])
        case .cancelled where order.cancellationReason?.hasPrefix("payment_declined") == true:
            throw APIError(.paymentRequired, "payment_declined", "order \(order.id) was cancelled: \(order.cancellationReason!)",
                           details: ["order_id": .string(order.id)])
        case .cancelled:
            throw APIError(.badGateway, "order_failed", "order \(order.id) was cancelled: \(order.cancellationReason ?? "unknown")",
                           details: ["order_id": .string(order.id)])
        default:
            return try JSON.response(order, status: .created)
        }
    }

    private func runSaga(_ input: NewOrder, userID: String, key: String?, context: SagaContext) async throws -> Order {
        let correlation = context.correlation
        let customer = try await users.call("GET", "/api/v1/users/\(userID)", correlationID: correlation)
        guard customer.status == 200 else {
            if customer.status == 404 { throw APIError(.unauthorized, "unknown_user", "the token's user does not exist at the user service") }
            throw APIError(.badGateway, "user_service_error", "the user service answered \(customer.status)")
        }

        // Price every line from the catalog.
        var items: [OrderItem] = []
        for line in input.items {
            let reply = try await catalog.call("GET", "/api/v1/products/\(line.productId)", correlationID: correlation)
            guard reply.status == 200 else {
                if reply.status == 404 { throw APIError(.unprocessableContent, "unknown_product", "product \(line.productId) does not exist") }
                throw APIError(.badGateway, "catalog_error", "the catalog answered \(reply.status) for product \(line.productId)")
            }
            let product = try reply.decode(CatalogProduct.self)
            guard product.active else { throw APIError(.unprocessableContent, "unknown_product", "product \(line.productId) is not for sale") }
            items.append(OrderItem(productId: product.id, name: product.name, quantity: line.quantity, unitPrice: product.price,
                                   lineTotal: (product.price * Decimal(line.quantity)).roundedToCents()))
        }
        let subtotal = items.reduce(Decimal(0)) { $0 + $1.lineTotal }
        let tax = (subtotal * Self.taxRate).roundedToCents()
        let shipping = subtotal >= Self.freeShippingFrom ? Decimal(0) : Self.shippingFee
        let now = Date()
        var order = Order(id: UUID().uuidString.lowercased(), userId: userID, status: .pending, items: items, subtotal: subtotal, tax: tax,
                          shipping: shipping, total: subtotal + tax + shipping, currency: "USD", shippingAddress: input.shippingAddress,
                          paymentMethod: input.paymentMethod, paymentId: nil, cancellationReason: nil, idempotencyKey: key,
                          createdAt: now, updatedAt: now, statusHistory: [StatusChange(from: nil, to: .pending, note: "order placed", at: now)])
        let created = event("order.created", order, context, extra: ["shipping_address": .object([
            "street": .string(order.shippingAddress.street), "city": .string(order.shippingAddress.city),
            "state": .string(order.shippingAddress.state), "zip_code": .string(order.shippingAddress.zipCode),
            "country": .string(order.shippingAddress.country),
        ])])
        do { try await store.insert(order, events: [created]) } catch StoreError.duplicate {
            if let key, let earlier = try await store.order(userID: userID, idempotencyKey: key) { return earlier }
            throw StoreError.duplicate("idempotency_key")
        }
        await outbox.publish([created])
        // From here on the order exists: every way out ends it confirmed or cancelled.

        // Step 1: reserve stock. A failed call may still have reserved (the reply was lost),
        // so any failure other than a clear refusal is compensated by a release.
        struct Reserve: Encodable { let orderId: String; let items: [ReservationItem] }
        let reservation: PeerClient.Reply
        do {
            reservation = try await Retry.transient {
                try await catalog.call("POST", "/api/v1/inventory/reservations",
                                       body: Reserve(orderId: order.id, items: items.map { ReservationItem(productId: $0.productId, quantity: $0.quantity) }),
                                       correlationID: correlation)
            }
        } catch {
            return try await abandon(&order, reason: "inventory_error: \(error)", releasing: true, refunding: false, context: context)
        }
        guard reservation.status == 201 else {
            if reservation.status == 409 {
                return try await abandon(&order, reason: "out_of_stock: \(message(reservation) ?? "not enough stock")", releasing: false, refunding: false, context: context)
            }
            return try await abandon(&order, reason: "inventory_error: catalog answered \(reservation.status)", releasing: true, refunding: false, context: context)
        }

        // Step 2: charge, with one idempotency key for every attempt, so retrying is safe.
        struct Charge: Encodable { let orderId: String; let amount: Decimal; let currency: String; let paymentMethod: String }
        let payment: PeerClient.Reply
        do {
            payment = try await Retry.transient {
                try await payments.call("POST", "/api/v1/payments/process",
                                        body: Charge(orderId: order.id, amount: order.total, currency: order.currency, paymentMethod: order.paymentMethod),
                                        correlationID: correlation, headers: [("Idempotency-Key", "order-" + order.id)])
            }
        } catch {
            return try await abandon(&order, reason: "payment_error: \(error)", releasing: true, refunding: true, context: context)
        }
        guard payment.status == 201, let paymentID = try? payment.decode(PaymentReply.self).id else {
            if payment.status == 402 {
                return try await abandon(&order, reason: "payment_declined: \(message(payment) ?? "declined")", releasing: true, refunding: false, context: context)
            }
            if payment.status == 400 || payment.status == 422 {
                // The charge itself was refused as invalid (an unknown payment method): nothing was charged.
                return try await abandon(&order, reason: "payment_rejected: \(message(payment) ?? "the payment was refused")", releasing: true, refunding: false, context: context)
            }
            return try await abandon(&order, reason: "payment_error: payment service answered \(payment.status)", releasing: true, refunding: true, context: context)
        }

        // Step 3: confirm.
        order.paymentId = paymentID
        order.move(to: .confirmed, note: "stock reserved and payment \(paymentID) completed")
        let confirmed = event("order.confirmed", order, context, extra: ["payment_id": .string(paymentID)])
        do {
            try await Retry.transient { try await store.update(order, events: [confirmed]) }
        } catch {
            // The order could not be confirmed: give the money and the stock back.
            var unconfirmed = order
            unconfirmed.paymentId = nil
            unconfirmed.status = .pending
            unconfirmed.statusHistory.removeLast()
            order = unconfirmed
            return try await abandon(&order, reason: "order_error: could not confirm: \(error)", releasing: true, refunding: true, context: context)
        }
        await outbox.publish([confirmed])
        return order
    }

    private func message(_ reply: PeerClient.Reply) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["message"] as? String }
    }

    /// Gives back what the saga took: refunds every completed payment of the order, then
    /// releases its reservation. Returns what could not be undone (to record on the order).
    private func compensate(_ orderID: String, releasing: Bool, refunding: Bool, reason: String, correlation: String, logger: Logger?) async -> [String] {
        var failures: [String] = []
        if refunding {
            do {
                let listed = try await Retry.transient { try await payments.call("GET", "/api/v1/payments/order/\(orderID)", correlationID: correlation) }
                guard listed.status == 200 else { throw APIError(.badGateway, "payment_error", "listing payments answered \(listed.status)") }
                struct Listed: Decodable { struct Item: Decodable { let id: String; let status: String }; let payments: [Item] }
                for paid in try listed.decode(Listed.self).payments where paid.status == "completed" {
                    let refund = try await Retry.transient {
                        try await payments.call("POST", "/api/v1/payments/\(paid.id)/refund", body: ["reason": reason], correlationID: correlation)
                    }
                    if refund.status != 200 { failures.append("refund of \(paid.id) failed: payment service answered \(refund.status)") }
                }
            } catch {
                failures.append("refund failed: \(error)")
            }
        }
        if releasing {
            do {
                let released = try await Retry.transient {
                    try await catalog.call("DELETE", "/api/v1/inventory/reservations/\(orderID)", correlationID: correlation)
                }
                if released.status != 200 { failures.append("releasing the reservation failed: catalog answered \(released.status)") }
            } catch {
                failures.append("releasing the reservation failed: \(error)")
            }
        }
        for failure in failures { logger?.error("order \(orderID): compensation incomplete: \(failure)") }
        return failures
    }

    /// Cancels an order the saga could not complete, after compensating.
    private func abandon(_ order: inout Order, reason: String, releasing: Bool, refunding: Bool, context: SagaContext) async throws -> Order {
        let failures = await compensate(order.id, releasing: releasing, refunding: refunding, reason: reason,
                                        correlation: context.correlation, logger: context.logger)
        return try await cancelled(&order, reason: reason, compensationFailures: failures, context: context)
    }

    private func cancelled(_ order: inout Order, reason: String, compensationFailures: [String], context: SagaContext) async throws -> Order {
        order.cancellationReason = reason
        order.compensationFailures += compensationFailures
        order.move(to: .cancelled, note: compensationFailures.isEmpty ? reason : reason + "; compensation incomplete: " + compensationFailures.joined(separator: "; "))
        let cancelled = event("order.cancelled", order, context, extra: ["reason": .string(reason)])
        let snapshot = order
        try await Retry.transient { try await store.update(snapshot, events: [cancelled]) }
        await outbox.publish([cancelled])
        return order
    }

    private func event(_ type: String, _ order: Order, _ context: SagaContext, extra: [String: JSONField] = [:]) -> DomainEvent {
        var payload: [String: JSONField] = [
            "order_id": .string(order.id), "user_id": .string(order.userId), "status": .string(order.status.rawValue),
            "items": .array(order.items.map { .object(["product_id": .int($0.productId), "quantity": .int($0.quantity), "unit_price": .decimal($0.unitPrice)]) }),
            "subtotal": .decimal(order.subtotal), "tax": .decimal(order.tax), "shipping": .decimal(order.shipping),
            "total_amount": .decimal(order.total), "currency": .string(order.currency),
            "created_at": .string(JSON.timestamp(order.createdAt)),
        ]
        payload.merge(extra) { _, new in new }
        return DomainEvent(type: type, aggregateID: order.id, correlationID: context.correlation, payload: payload)
    }

    // MARK: after creation

    func changeStatus(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let claims = try signer.claims(request.header("Authorization"))
        guard claims.role == "admin" else { throw APIError.forbidden }
        let id = try context.parameters.require("id")
        let input = try await request.decodeJSON(StatusUpdate.self)
        try Validate.text(input.note, "note", max: 500, multiline: true)
        guard let status = OrderStatus(rawValue: input.status) else {
            throw APIError.invalid("'status' must be one of pending, confirmed, shipped, delivered, cancelled")
        }
        guard var order = try await store.order(id: id) else { throw APIError.notFound("order \(id)") }
        if status == .cancelled { return try JSON.response(try await cancel(&order, reason: input.note ?? "cancelled by admin", context: SagaContext(context))) }
        guard order.status.canMove(to: status) else {
            throw APIError.conflict("invalid_transition", "an order cannot go from \(order.status) to \(input.status)")
        }
        order.move(to: status, note: input.note)
        let events = status == .shipped || status == .delivered ? [event("order.\(status.rawValue)", order, SagaContext(context))] : []
        try await store.update(order, events: events)
        await outbox.publish(events)
        return try JSON.response(order)
    }

    func cancel(_ request: Request, _ context: ServiceContext) async throws -> Response {
        var order = try await owned(request, context)
        return try JSON.response(try await cancel(&order, reason: "cancelled by customer", context: SagaContext(context)))
    }

    /// Cancels a pending or confirmed order: the payment refunded first (a failed refund leaves
    /// the order as it was), then the stock released.
    private func cancel(_ order: inout Order, reason: String, context: SagaContext) async throws -> Order {
        guard order.status.canMove(to: .cancelled) else {
            throw APIError.conflict("invalid_transition", "an order that is \(order.status) cannot be cancelled")
        }
        if let paymentID = order.paymentId {
            let refund = try await Retry.transient {
                try await payments.call("POST", "/api/v1/payments/\(paymentID)/refund", body: ["reason": reason], correlationID: context.correlation)
            }
            guard refund.status == 200 else {
                throw APIError(.badGateway, "refund_failed", "the payment service could not refund \(paymentID) (\(refund.status)); the order stays \(order.status)")
            }
        }
        let failures = await compensate(order.id, releasing: true, refunding: false, reason: reason, correlation: context.correlation, logger: context.logger)
        return try await cancelled(&order, reason: reason, compensationFailures: failures, context: context)
    }
}
