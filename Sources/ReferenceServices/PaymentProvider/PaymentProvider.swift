import Foundation
import HTTPTypes
package import Hummingbird
import TransportCrypto

/// Injected faults: added latency and a share of requests answered with 500 (an `EvenShare`:
/// with 0.02 the 1st, 51st, 101st … fail).
package struct ProviderFaults: Codable, Sendable, Equatable {
    package var latencyMs: Int
    package var failureRate: Double

    package init(latencyMs: Int = 0, failureRate: Double = 0) {
        self.latencyMs = latencyMs
        self.failureRate = failureRate
    }
}

/// A Stripe-like payment provider with Stripe's test payment methods:
/// `pm_card_visa`, `pm_card_mastercard` succeed; `pm_card_chargeDeclined` and
/// `pm_card_chargeDeclinedInsufficientFunds` are declined (402).
package actor PaymentProviderState {
    struct Intent: Codable, Sendable {
        let id: String, object: String
        let amount: Int, currency: String, paymentMethod: String
        var status: String
        let created: Int
        var amountRefunded: Int
        let metadata: [String: String]
    }

    private(set) var faults: ProviderFaults
    /// Which requests under the current faults fail.
    private var failures: EvenShare
    private var intents: [String: Intent] = [:]
    /// Per idempotency key: the request it was first used with and the one attempt made for it
    /// (finished or still running), so every later use gets the same answer.
    private var attempts: [String: (fingerprint: [UInt8], attempt: Task<StoredReply, any Error>)] = [:]

    /// What using an idempotency key comes to.
    enum Claim: Sendable {
        /// The attempt to await: a new one, or the one made for this key before.
        case attempt(Task<StoredReply, any Error>, replayed: Bool)
        /// The key was used before with a different request.
        case reusedWithDifferentRequest
    }

    package init(faults: ProviderFaults = ProviderFaults()) {
        self.faults = faults
        failures = EvenShare(faults.failureRate)
    }

    /// Changes the injected faults while running (the demo's failing provider).
    package func setFaults(_ faults: ProviderFaults) {
        self.faults = faults
        failures = EvenShare(faults.failureRate)
    }

    /// The current faults, and whether this request is one of the share that fails.
    func faultsForNextRequest() -> (faults: ProviderFaults, fail: Bool) {
        (faults, failures.next())
    }

    /// Looks the key up and, when it is new, starts `operation` for it: one step, so concurrent
    /// requests with one key make one attempt. A failed attempt frees the key for a retry.
    func claim(_ key: String, fingerprint: [UInt8], _ operation: @escaping @Sendable () async throws -> StoredReply) -> Claim {
        if let earlier = attempts[key] {
            return earlier.fingerprint == fingerprint ? .attempt(earlier.attempt, replayed: true) : .reusedWithDifferentRequest
        }
        let attempt = Task { [weak self] in
            do { return try await operation() } catch {
                await self?.forget(key)
                throw error
            }
        }
        attempts[key] = (fingerprint, attempt)
        return .attempt(attempt, replayed: false)
    }

    private func forget(_ key: String) { attempts[key] = nil }
    func store(_ intent: Intent) { intents[intent.id] = intent }
    func intent(_ id: String) -> Intent? { intents[id] }

    func refund(_ id: String, amount: Int?) throws -> (Intent, Int) {
        guard var intent = intents[id] else { throw APIError(.notFound, "resource_missing", "no payment intent \(id)") }
        guard intent.status == "succeeded" else { throw APIError(.badRequest, "charge_not_refundable", "payment intent \(id) has status \(intent.status)") }
        let refund = amount ?? (intent.amount - intent.amountRefunded)
        guard refund > 0, refund <= intent.amount - intent.amountRefunded else {
            throw APIError(.badRequest, "amount_too_large", "refund of \(refund) exceeds what remains of \(intent.amount)")
        }
        intent.amountRefunded += refund
        intents[id] = intent
        return (intent, refund)
    }
}

package struct PaymentProvider: Sendable {
    let state: PaymentProviderState
    /// Verifies the admin token `PUT /admin/faults` needs.
    let signer: JWTSigner

    package init(state: PaymentProviderState = PaymentProviderState(), signer: JWTSigner) {
        self.state = state
        self.signer = signer
    }

    static let methods: [String: (succeeds: Bool, declineCode: String?)] = [
        "pm_card_visa": (true, nil), "pm_card_mastercard": (true, nil), "pm_card_amex": (true, nil),
        "pm_card_chargeDeclined": (false, "generic_decline"),
        "pm_card_chargeDeclinedInsufficientFunds": (false, "insufficient_funds"),
        "pm_card_chargeDeclinedExpiredCard": (false, "expired_card"),
    ]

    struct IntentRequest: Decodable {
        let amount: Int
        let currency: String
        let paymentMethod: String
        let metadata: [String: String]?
    }
    struct RefundRequest: Decodable { let paymentIntent: String; let amount: Int? }

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "payment-provider", metrics: metrics, options: options, readiness: [:])
        if options.providerStates {
            var states = ProviderStates()
            states.on("a payment intent exists") { _, params in
                let amount = params["amount"]?.intValue ?? 5997
                let intent = PaymentProviderState.Intent(id: "pi_" + token(), object: "payment_intent", amount: amount, currency: "usd",
                                                         paymentMethod: "pm_card_visa", status: "succeeded", created: Int(Date().timeIntervalSince1970),
                                                         amountRefunded: 0, metadata: [:])
                await state.store(intent)
                return ["id": .string(intent.id), "amount": .int(amount)]
            }
            // The test payment methods need no set-up.
            states.on(".*") { _, _ in [:] }
            states.register(on: router, signer: signer)
        }
        router.post("/v1/payment_intents") { request, _ in try await createIntent(request) }
        router.get("/v1/payment_intents/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let intent = await state.intent(id) else { throw stripeError(.notFound, "invalid_request_error", "resource_missing", "no payment intent \(id)") }
            return try JSON.response(intent)
        }
        router.post("/v1/refunds") { request, _ in
            try await injectFaults()
            return try await idempotent(request, scope: "refund") { body in
                let input = try JSON.decode(RefundRequest.self, from: body)
                try Validate.text(input.paymentIntent, "payment_intent", max: 64)
                if let amount = input.amount { try Validate.integer(amount, "amount", in: 1...InputLimits.maxCents) }
                let (intent, amount) = try await state.refund(input.paymentIntent, amount: input.amount)
                return StoredReply(status: 200, body: try JSON.encode([
                    "id": JSONField.string("re_" + token()), "object": .string("refund"), "status": .string("succeeded"),
                    "amount": .int(amount), "payment_intent": .string(intent.id),
                ]))
            }
        }
        router.put("/admin/faults") { request, _ in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            let faults = try await request.decodeJSON(ProviderFaults.self)
            guard (0...InputLimits.maxLatencyMs).contains(faults.latencyMs), (0...1).contains(faults.failureRate) else {
                throw APIError.invalid("'latency_ms' must be between 0 and \(InputLimits.maxLatencyMs) and 'failure_rate' between 0 and 1")
            }
            await state.setFaults(faults)
            return try JSON.response(faults)
        }
        router.get("/admin/faults") { _, _ in try JSON.response(await state.faults) }
        return router
    }

    private func injectFaults() async throws {
        let (faults, fail) = await state.faultsForNextRequest()
        if faults.latencyMs > 0 { try await Task.sleep(for: .milliseconds(faults.latencyMs)) }
        if fail {
            throw stripeError(.internalServerError, "api_error", "injected_failure", "the payment provider failed (injected fault)")
        }
    }

    func createIntent(_ request: Request) async throws -> Response {
        try await injectFaults()
        return try await idempotent(request, scope: "payment_intent") { try await makeIntent($0) }
    }

    /// Runs `make` on the request body once per `Idempotency-Key` (as Stripe does): the same
    /// key and body get the first answer again, the same key with another body a 422.
    private func idempotent(_ request: Request, scope: String,
                            _ make: @escaping @Sendable ([UInt8]) async throws -> StoredReply) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        guard let header = request.header("Idempotency-Key") else {
            return try await make(body).response(replayed: false)
        }
        let key = scope + ":" + (try Validate.idempotencyKey(header))
        switch await state.claim(key, fingerprint: Self.fingerprint(body), { try await make(body) }) {
        case .attempt(let attempt, let replayed):
            return try await attempt.value.response(replayed: replayed)
        case .reusedWithDifferentRequest:
            throw stripeError(.unprocessableContent, "idempotency_error", "idempotency_key_reused",
                              "Keys for idempotent requests can only be used with the same parameters they were first used with.")
        }
    }

    /// What makes two requests "the same parameters": the JSON value, whatever its key order
    /// or spacing (the raw bytes when the body is not JSON).
    static func fingerprint(_ body: [UInt8]) -> [UInt8] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]),
              let canonical = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
            return Crypto.sha256(body)
        }
        return Crypto.sha256(Array(canonical))
    }

    /// Creates one payment intent from a request body; declines are answers (402), not errors.
    private func makeIntent(_ body: [UInt8]) async throws -> StoredReply {
        let input = try JSON.decode(IntentRequest.self, from: body)
        guard (1...InputLimits.maxCents).contains(input.amount) else {
            throw stripeError(.badRequest, "invalid_request_error", "parameter_invalid_integer", "amount must be a whole number of cents from 1 to \(InputLimits.maxCents)")
        }
        guard (try? Validate.currency(input.currency)) != nil else {
            throw stripeError(.badRequest, "invalid_request_error", "parameter_invalid_string", "currency must be a 3-letter ISO code")
        }
        try Validate.text(input.paymentMethod, "payment_method", max: 64)
        if let metadata = input.metadata {
            guard metadata.count <= 20 else { throw APIError.invalid("'metadata' must have at most 20 keys") }
            for (key, value) in metadata {
                try Validate.text(key, "metadata key", max: 40)
                try Validate.text(value, "metadata.\(key.prefix(40))", max: 500, required: false)
            }
        }
        guard let method = Self.methods[input.paymentMethod] else {
            throw stripeError(.badRequest, "invalid_request_error", "resource_missing", "no such payment method: '\(input.paymentMethod)'")
        }
        let intent = PaymentProviderState.Intent(
            id: "pi_" + token(), object: "payment_intent", amount: input.amount, currency: input.currency.lowercased(),
            paymentMethod: input.paymentMethod, status: method.succeeds ? "succeeded" : "requires_payment_method",
            created: Int(Date().timeIntervalSince1970), amountRefunded: 0, metadata: input.metadata ?? [:])
        await state.store(intent)
        let status: HTTPResponse.Status
        let body: [UInt8]
        if method.succeeds {
            status = .ok
            body = try JSON.encode(intent)
        } else {
            status = .paymentRequired
            struct Declined: Encodable {
                struct Detail: Encodable { let type = "card_error", code = "card_declined"; let declineCode: String; let message: String; let paymentIntent: PaymentProviderState.Intent }
                let error: Detail
            }
            let message = method.declineCode == "insufficient_funds" ? "Your card has insufficient funds." : "Your card was declined."
            body = try JSON.encode(Declined(error: .init(declineCode: method.declineCode!, message: message, paymentIntent: intent)))
        }
        return StoredReply(status: status.code, body: body)
    }

    private func token() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24).description }

    private func stripeError(_ status: HTTPResponse.Status, _ type: String, _ code: String, _ message: String) -> APIError {
        APIError(status, code, message, details: ["type": .string(type)])
    }
}
