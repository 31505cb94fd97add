import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import Logging

/// The payment service: charges through the payment provider, exactly once per idempotency key.
public struct PaymentService: Sendable {
    let store: any PaymentStore
    let events: any EventPublisher
    let provider: PeerClient
    let signer: JWTSigner
    let gate = SingleFlight<String, StoredReply>()

    /// Every operation is service-to-service: callers need a service (or admin) token.
    public init(store: any PaymentStore, events: any EventPublisher, provider: PeerClient, signer: JWTSigner) {
        self.store = store
        self.events = events
        self.provider = provider
        self.signer = signer
    }

    struct ProcessRequest: Decodable { let orderId: String; let amount: Decimal; let currency: String; let paymentMethod: String }
    struct RefundRequest: Decodable { let amount: Decimal?; let reason: String? }
    struct Declined: Encodable {
        struct Detail: Encodable { let code: String; let message: String; let declineCode: String? }
        let error: Detail
        let payment: Payment
    }
    struct StoredReply: Sendable { let status: Int; let body: [UInt8] }

    public func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "payment-service", metrics: metrics, options: options, readiness: [
            "database": { await store.isReachable() }, "kafka": { await events.isReachable() },
        ])
        let payments = router.group("/api/v1/payments").add(middleware: InternalCallersOnly(signer: signer))
        payments.post("/process") { request, context in try await process(request, context) }
        payments.get("/order/:orderId") { _, context in
            try JSON.response(["payments": try await store.payments(orderID: try context.parameters.require("orderId"))])
        }
        payments.get("/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let payment = try await store.payment(id: id) else { throw APIError.notFound("payment \(id)") }
            return try JSON.response(payment)
        }
        payments.post("/:id/refund") { request, context in try await refund(request, context) }
        if options.providerStates { providerStates().register(on: router, recorder: events.recorder) }
        return router
    }

    /// The states the contracts with the payment service name: each makes a real payment
    /// through the provider (so it also publishes its event).
    func providerStates() -> ProviderStates {
        var states = ProviderStates()
        let pay: @Sendable (String, String) async throws -> Payment = { orderID, method in
            let key = "state-" + UUID().uuidString
            _ = try await charge(ProcessRequest(orderId: orderID, amount: Decimal(string: "59.97")!, currency: "USD", paymentMethod: method),
                                 key: key, correlationID: UUID().uuidString.lowercased(), logger: nil)
            return try await store.payment(idempotencyKey: key)!
        }
        states.on("(?:a completed payment exists(?: for order (\\S+))?|a payment is completed for an order)") { captures, params in
            let orderID = params["order_id"]?.stringValue ?? captures.first ?? UUID().uuidString.lowercased()
            let payment = try await pay(orderID, "pm_card_visa")
            return ["id": .string(payment.id), "order_id": .string(orderID), "key": .string(orderID)]
        }
        states.on("a payment is declined for an order") { _, params in
            let orderID = params["order_id"]?.stringValue ?? UUID().uuidString.lowercased()
            let payment = try await pay(orderID, "pm_card_chargeDeclined")
            return ["id": .string(payment.id), "order_id": .string(orderID), "key": .string(orderID)]
        }
        return states
    }

    func process(_ request: Request, _ context: ServiceContext) async throws -> Response {
        guard let header = request.header("Idempotency-Key"), !header.isEmpty else {
            throw APIError.badRequest("the Idempotency-Key header is required")
        }
        let key = try Validate.idempotencyKey(header)
        let input = try await request.decodeJSON(ProcessRequest.self)
        try Validate.text(input.orderId, "order_id", max: 64)
        try Validate.money(input.amount, "amount")
        _ = try Validate.currency(input.currency)
        try Validate.text(input.paymentMethod, "payment_method", max: 64)
        // Concurrent duplicates share one attempt; later duplicates find it in the store.
        let reply = try await gate.run(key) {
            if let earlier = try await store.payment(idempotencyKey: key) { return try storedReply(for: earlier) }
            return try await charge(input, key: key, correlationID: context.correlationID, logger: context.logger)
        }
        return Response(status: .init(code: reply.status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    private func storedReply(for payment: Payment) throws -> StoredReply {
        if payment.status == "failed" {
            return StoredReply(status: 402, body: try JSON.encode(Declined(
                error: .init(code: "payment_declined", message: payment.failureMessage ?? "the payment was declined", declineCode: payment.failureCode),
                payment: payment)))
        }
        return StoredReply(status: 201, body: try JSON.encode(payment))
    }

    private func charge(_ input: ProcessRequest, key: String, correlationID: String, logger: Logger?) async throws -> StoredReply {
        struct IntentRequest: Encodable { let amount: Int; let currency: String; let paymentMethod: String; let metadata: [String: String] }
        struct Intent: Decodable { let id: String; let status: String }
        struct ProviderError: Decodable {
            struct Intent: Decodable { let id: String }
            struct Detail: Decodable { let code: String?; let declineCode: String?; let message: String?; let type: String?; let paymentIntent: Intent? }
            let error: Detail
        }
        let amount = input.amount
        guard let cents = amount.cents else { throw APIError.invalid("'amount' must be at most \(InputLimits.maxMoney)") }
        let reply = try await provider.call(
            "POST", "/v1/payment_intents",
            body: IntentRequest(amount: cents, currency: input.currency.lowercased(), paymentMethod: input.paymentMethod, metadata: ["order_id": input.orderId]),
            correlationID: correlationID, headers: [("Idempotency-Key", "payment-" + key)])
        let now = Date()
        var payment = Payment(id: "pay_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), orderId: input.orderId,
                              amount: amount, currency: input.currency.uppercased(), paymentMethod: input.paymentMethod, status: "completed",
                              providerPaymentId: nil, failureCode: nil, failureMessage: nil, refundedAmount: 0, idempotencyKey: key,
                              createdAt: now, updatedAt: now)
        switch reply.status {
        case 200, 201:
            payment.providerPaymentId = try reply.decode(Intent.self).id
        case 402:
            let detail = (try? reply.decode(ProviderError.self))?.error
            payment.status = "failed"
            payment.providerPaymentId = detail?.paymentIntent?.id
            payment.failureCode = detail?.declineCode ?? detail?.code ?? "card_declined"
            payment.failureMessage = detail?.message ?? "the card was declined"
        case 400:
            let detail = (try? reply.decode(ProviderError.self))?.error
            throw APIError.invalid(detail?.message ?? "the payment provider rejected the request")
        default:
            await events.emit("payment.failed", aggregate: input.orderId, correlation: correlationID, [
                "order_id": .string(input.orderId), "amount": .decimal(amount), "currency": .string(payment.currency),
                "reason": .string("provider_error"), "provider_status": .int(reply.status),
            ], logger: logger)
            throw APIError(.badGateway, "payment_provider_error", "the payment provider answered \(reply.status); retry with the same Idempotency-Key")
        }
        do { try await store.insert(payment) } catch StoreError.duplicate {
            // Another process won the race for this key: its payment is the answer.
            if let earlier = try await store.payment(idempotencyKey: key) { return try self.storedReply(for: earlier) }
            throw StoreError.duplicate("idempotency_key")
        }
        if payment.status == "completed" {
            await events.emit("payment.completed", aggregate: payment.orderId, correlation: correlationID, [
                "payment_id": .string(payment.id), "order_id": .string(payment.orderId), "amount": .decimal(payment.amount),
                "currency": .string(payment.currency), "payment_method": .string(payment.paymentMethod),
                "transaction_id": .string(payment.providerPaymentId ?? ""), "completed_at": .string(JSON.timestamp(now)),
            ], logger: logger)
        } else {
            await events.emit("payment.failed", aggregate: payment.orderId, correlation: correlationID, [
                "payment_id": .string(payment.id), "order_id": .string(payment.orderId), "amount": .decimal(payment.amount),
                "currency": .string(payment.currency), "reason": .string(payment.failureCode ?? "card_declined"),
                "message": .string(payment.failureMessage ?? ""),
            ], logger: logger)
        }
        return try self.storedReply(for: payment)
    }

    func refund(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let input = buffer.readableBytes == 0 ? RefundRequest(amount: nil, reason: nil) : try JSON.decode(RefundRequest.self, from: Array(buffer.readableBytesView))
        if let amount = input.amount { try Validate.money(amount, "amount") }
        try Validate.text(input.reason, "reason", max: 500, multiline: true)
        let reply = try await gate.run("refund-" + id) {
            guard var payment = try await store.payment(id: id) else { throw APIError.notFound("payment \(id)") }
            if payment.status == "refunded" { return StoredReply(status: 200, body: try JSON.encode(payment)) }
            guard payment.status == "completed", let intent = payment.providerPaymentId else {
                throw APIError.conflict("not_refundable", "payment \(id) has status \(payment.status)")
            }
            let remaining = payment.amount - payment.refundedAmount
            let amount = input.amount ?? remaining
            guard amount > 0, amount <= remaining, let cents = amount.cents else { throw APIError.invalid("'amount' must be between 0.01 and \(remaining)") }
            struct RefundCall: Encodable { let paymentIntent: String; let amount: Int }
            struct ProviderRefund: Decodable { let id: String }
            let answer = try await provider.call("POST", "/v1/refunds", body: RefundCall(paymentIntent: intent, amount: cents),
                                                 correlationID: context.correlationID, headers: [("Idempotency-Key", "refund-\(id)-\(amount)")])
            guard answer.status == 200 else {
                throw APIError(.badGateway, "payment_provider_error", "the payment provider refused the refund (\(answer.status))")
            }
            let now = Date()
            payment.refundedAmount += amount
            if payment.refundedAmount == payment.amount { payment.status = "refunded" }
            payment.updatedAt = now
            let refund = Refund(id: "re_" + UUID().uuidString.prefix(8).lowercased(), paymentId: id, amount: amount, reason: input.reason,
                                providerRefundId: try answer.decode(ProviderRefund.self).id, createdAt: now)
            try await store.record(refund, updating: payment)
            await events.emit("payment.refunded", aggregate: payment.orderId, correlation: context.correlationID, [
                "payment_id": .string(id), "order_id": .string(payment.orderId), "amount": .decimal(amount),
                "currency": .string(payment.currency), "reason": input.reason.map(JSONField.string) ?? .null,
            ], logger: context.logger)
            return StoredReply(status: 200, body: try JSON.encode(payment))
        }
        return Response(status: .init(code: reply.status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

/// Runs at most one operation per key at a time; callers with the same key while it runs
/// get its result instead of starting their own.
final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let running = Mutex<[Key: Task<Value, any Error>]>([:])

    func run(_ key: Key, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (task, started) = running.withLock { running in
            if let task = running[key] { return (task, false) }
            let task = Task { try await operation() }
            running[key] = task
            return (task, true)
        }
        guard started else { return try await task.value }
        defer { _ = running.withLock { $0.removeValue(forKey: key) } }
        return try await task.value
    }
}
