import Foundation
package import ServerRuntime
import Synchronization
import HTTPTypes
package import Hummingbird
import Logging

/// The payment service: charges through the payment provider, exactly once per idempotency key.
package struct PaymentService: Sendable {
    let store: any PaymentStore
    /// Publishes the events the store commits with each change.
    let outbox: OutboxRelay
    let provider: PeerClient
    let signer: JWTSigner
    /// Seconds before an unanswered charge is replayed (see `reconcile`).
    let reconcileAfter: Double
    let gate = SingleFlight<String, StoredReply>()
    /// Reconciliations under way; whoever runs the service stops them with it.
    let background: BackgroundTasks

    /// Every operation is service-to-service: callers need a service (or admin) token.
    /// Reconciliations run in `background`, which the caller stops after the server.
    package init(store: any PaymentStore, outbox: OutboxRelay, provider: PeerClient, signer: JWTSigner, reconcileAfter: Double = 5,
                background: BackgroundTasks) {
        self.reconcileAfter = reconcileAfter
        self.background = background
        self.store = store
        self.outbox = outbox
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

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "payment-service", metrics: metrics, options: options, readiness: [
            "database": { await store.isReachable() }, "kafka": { await outbox.publisher.isReachable() },
        ])
        // Charges by outcome: completed, declined by the card, failed (the provider did not answer), rejected (bad input).
        router.add(middleware: OperationMetrics(method: .post, path: "/api/v1/payments/process", registry: metrics,
                                                counter: MetricName(metricName: "payments", unitName: "total", helpText: "Payments processed, by outcome."),
                                                histogram: nil, label: "outcome", outcome: Self.outcome(status:)))
        addRoutes(to: router, options: options)
        return router
    }

    /// The `outcome` label of a charge answered with `status`.
    static func outcome(status: Int) -> String {
        switch status {
        case 200..<300: return "completed"
        case 402: return "declined"
        case 500...: return "failed"
        default: return "rejected"
        }
    }

    /// The service's API on `router` (the monolith mounts every module's on its own).
    func addRoutes(to router: Router<ServiceContext>, options: ServiceOptions) {
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
        if options.providerStates { providerStates().register(on: router, recorder: outbox.publisher.recorder, signer: signer) }
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
        return reply.response()
    }

    private func storedReply(for payment: Payment) throws -> StoredReply {
        if payment.status == "failed" {
            return StoredReply(status: 402, body: try JSON.encode(Declined(
                error: .init(code: "payment_declined", message: payment.failureMessage ?? "the payment was declined", declineCode: payment.failureCode),
                payment: payment)))
        }
        return StoredReply(status: 201, body: try JSON.encode(payment))
    }

    struct IntentRequest: Encodable { let amount: Int; let currency: String; let paymentMethod: String; let metadata: [String: String] }
    struct Intent: Decodable { let id: String; let status: String }
    struct ProviderError: Decodable {
        struct Intent: Decodable { let id: String }
        struct Detail: Decodable { let code: String?; let declineCode: String?; let message: String?; let type: String?; let paymentIntent: Intent? }
        let error: Detail
    }

    /// Charges at the provider. Every attempt for one key uses the same provider idempotency
    /// key, so retrying after a timeout or a 5xx cannot charge twice. When the provider stays
    /// unanswered, the caller gets a 502 and a reconciliation replays the request later: a
    /// charge that went through after all is refunded, so no customer pays for a failed order.
    private func charge(_ input: ProcessRequest, key: String, correlationID: String, logger: Logger?) async throws -> StoredReply {
        guard let cents = input.amount.cents else { throw APIError.invalid("'amount' must be at most \(InputLimits.maxMoney)") }
        let request = IntentRequest(amount: cents, currency: input.currency.lowercased(), paymentMethod: input.paymentMethod, metadata: ["order_id": input.orderId])
        let reply: PeerClient.Reply
        do {
            reply = try await Retry.transient {
                try await provider.call("POST", "/v1/payment_intents", body: request, correlationID: correlationID,
                                        headers: [("Idempotency-Key", "payment-" + key)])
            }
        } catch let error where Retry.isTransient(error) {
            return try await providerUnavailable(input, key: key, detail: "\(error)", correlationID: correlationID, logger: logger)
        }
        if reply.status >= 500 {
            return try await providerUnavailable(input, key: key, detail: "it answered \(reply.status)", correlationID: correlationID, logger: logger)
        }
        if reply.status == 400 || reply.status == 422 {
            let detail = (try? reply.decode(ProviderError.self))?.error
            throw APIError.invalid(detail?.message ?? "the payment provider rejected the request")
        }
        return try await record(reply, input: input, key: key, correlationID: correlationID)
    }

    /// Stores the provider's answer (a charge or a decline) with its event.
    private func record(_ reply: PeerClient.Reply, input: ProcessRequest, key: String, correlationID: String, voided: Bool = false) async throws -> StoredReply {
        let now = Date()
        var payment = Payment(id: "pay_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), orderId: input.orderId,
                              amount: input.amount, currency: input.currency.uppercased(), paymentMethod: input.paymentMethod, status: "completed",
                              providerPaymentId: nil, failureCode: nil, failureMessage: nil, refundedAmount: 0, idempotencyKey: key,
                              createdAt: now, updatedAt: now)
        switch reply.status {
        case 200, 201:
            payment.providerPaymentId = try reply.decode(Intent.self).id
            if voided {
                payment.status = "failed"
                payment.failureCode = "voided_after_timeout"
                payment.failureMessage = "the payment provider answered too late; the charge was refunded"
                payment.refundedAmount = payment.amount
            }
        default:
            let detail = (try? reply.decode(ProviderError.self))?.error
            payment.status = "failed"
            payment.providerPaymentId = detail?.paymentIntent?.id
            payment.failureCode = detail?.declineCode ?? detail?.code ?? "card_declined"
            payment.failureMessage = detail?.message ?? "the card was declined"
        }
        let event: DomainEvent
        if payment.status == "completed" {
            event = DomainEvent(type: "payment.completed", aggregateID: payment.orderId, correlationID: correlationID, payload: [
                "payment_id": .string(payment.id), "order_id": .string(payment.orderId), "amount": .decimal(payment.amount),
                "currency": .string(payment.currency), "payment_method": .string(payment.paymentMethod),
                "transaction_id": .string(payment.providerPaymentId ?? ""), "completed_at": .string(JSON.timestamp(now)),
            ])
        } else {
            event = DomainEvent(type: "payment.failed", aggregateID: payment.orderId, correlationID: correlationID, payload: [
                "payment_id": .string(payment.id), "order_id": .string(payment.orderId), "amount": .decimal(payment.amount),
                "currency": .string(payment.currency), "reason": .string(payment.failureCode ?? "card_declined"),
                "message": .string(payment.failureMessage ?? ""),
            ])
        }
        do { try await store.insert(payment, events: [event]) } catch StoreError.duplicate {
            // Another process won the race for this key: its payment is the answer.
            if let earlier = try await store.payment(idempotencyKey: key) { return try self.storedReply(for: earlier) }
            throw StoreError.duplicate("idempotency_key")
        }
        await outbox.publish([event])
        return try self.storedReply(for: payment)
    }

    /// The provider did not answer: announce the failure, answer 502, and reconcile later.
    private func providerUnavailable(_ input: ProcessRequest, key: String, detail: String, correlationID: String, logger: Logger?) async throws -> StoredReply {
        await outbox.enqueueAndPublish([DomainEvent(type: "payment.failed", aggregateID: input.orderId, correlationID: correlationID, payload: [
            "order_id": .string(input.orderId), "amount": .decimal(input.amount), "currency": .string(input.currency.uppercased()),
            "reason": .string("provider_error"),
        ])])
        logger?.warning("payment for order \(input.orderId): provider unavailable (\(detail)); reconciling later")
        let reconciliation = self
        let started = background.spawn {
            await reconciliation.reconcile(input, key: key, correlationID: correlationID, logger: logger)
        }
        if !started { logger?.warning("payment for order \(input.orderId) (key \(key)): not reconciled, the service is stopping; check the provider by hand") }
        throw APIError(.badGateway, "payment_provider_error", "the payment provider did not answer (\(detail)); nothing was charged — retry with the same Idempotency-Key")
    }

    /// Replays an unanswered charge once the provider has had time: a charge that went through
    /// is refunded at once and recorded as voided, a decline is recorded; a payment stored
    /// meanwhile (a retry that got through) is left as it is.
    /// Tries a few times: a replay may join a retry that is itself cut short. Ends quietly when
    /// cancelled (the service stops): the provider's idempotency key lets an operator finish it.
    func reconcile(_ input: ProcessRequest, key: String, correlationID: String, logger: Logger?) async {
        guard let cents = input.amount.cents else { return }
        let request = IntentRequest(amount: cents, currency: input.currency.lowercased(), paymentMethod: input.paymentMethod, metadata: ["order_id": input.orderId])
        var pause = reconcileAfter
        for attempt in 1...5 {
            do { try await Task.sleep(for: .seconds(pause)) } catch { return }
            if attempt > 1 { pause *= 2 }
            do {
                try await reconcileOnce(input, request: request, key: key, correlationID: correlationID)
                return
            } catch {
                if Task.isCancelled { return }
                if attempt == 5 {
                    logger?.error("payment for order \(input.orderId) (key \(key)): reconciliation failed, check the provider by hand: \(error)")
                }
            }
        }
    }

    private func reconcileOnce(_ input: ProcessRequest, request: IntentRequest, key: String, correlationID: String) async throws {
        guard let cents = input.amount.cents else { return }
        _ = try await gate.run(key) {
            if let earlier = try await store.payment(idempotencyKey: key) { return try storedReply(for: earlier) }
            let reply = try await provider.call("POST", "/v1/payment_intents", body: request, correlationID: correlationID,
                                                headers: [("Idempotency-Key", "payment-" + key)], timeout: 120)
            guard reply.status == 200 || reply.status == 201 || reply.status == 402 else {
                throw APIError(.badGateway, "payment_provider_error", "the provider answered \(reply.status)")
            }
            let charged = reply.status != 402
            if charged {
                struct VoidCall: Encodable { let paymentIntent: String; let amount: Int }
                let intent = try reply.decode(Intent.self).id
                let refund = try await Retry.transient {
                    try await provider.call("POST", "/v1/refunds", body: VoidCall(paymentIntent: intent, amount: cents), correlationID: correlationID,
                                            headers: [("Idempotency-Key", "void-" + key)], timeout: 120)
                }
                guard refund.status == 200 else { throw APIError(.badGateway, "payment_provider_error", "the void was refused (\(refund.status))") }
            }
            return try await record(reply, input: input, key: key, correlationID: correlationID, voided: charged)
        }
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
            let answer = try await Retry.transient {
                try await provider.call("POST", "/v1/refunds", body: RefundCall(paymentIntent: intent, amount: cents),
                                        correlationID: context.correlationID, headers: [("Idempotency-Key", "refund-\(id)-\(payment.refundedAmount)-\(amount)")])
            }
            guard answer.status == 200 else {
                throw APIError(.badGateway, "payment_provider_error", "the payment provider refused the refund (\(answer.status))")
            }
            let now = Date()
            payment.refundedAmount += amount
            if payment.refundedAmount == payment.amount { payment.status = "refunded" }
            payment.updatedAt = now
            let refund = Refund(id: "re_" + UUID().uuidString.prefix(8).lowercased(), paymentId: id, amount: amount, reason: input.reason,
                                providerRefundId: try answer.decode(ProviderRefund.self).id, createdAt: now)
            let event = DomainEvent(type: "payment.refunded", aggregateID: payment.orderId, correlationID: context.correlationID, payload: [
                "payment_id": .string(id), "order_id": .string(payment.orderId), "amount": .decimal(amount),
                "currency": .string(payment.currency), "reason": input.reason.map(JSONField.string) ?? .null,
            ])
            try await store.record(refund, updating: payment, events: [event])
            await outbox.publish([event])
            return StoredReply(status: 200, body: try JSON.encode(payment))
        }
        return reply.response()
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
