import Foundation

public struct Payment: Codable, Sendable, Equatable {
    public var id: String
    public var orderId: String
    public var amount: Decimal
    public var currency: String
    public var paymentMethod: String
    /// completed, failed or refunded.
    public var status: String
    public var providerPaymentId: String?
    public var failureCode: String?
    public var failureMessage: String?
    public var refundedAmount: Decimal
    public var idempotencyKey: String
    public var createdAt: Date
    public var updatedAt: Date
}

public struct Refund: Codable, Sendable, Equatable {
    public var id: String
    public var paymentId: String
    public var amount: Decimal
    public var reason: String?
    public var providerRefundId: String
    public var createdAt: Date
}

/// The payments database: `payments`, `payment_methods`, `refunds`.
public protocol PaymentStore: OutboxStore {
    /// Throws `StoreError.duplicate` when the idempotency key was used before.
    func insert(_ payment: Payment, events: [DomainEvent]) async throws
    func payment(id: String) async throws -> Payment?
    func payment(idempotencyKey: String) async throws -> Payment?
    func payments(orderID: String) async throws -> [Payment]
    /// Saves the refund and the payment's new state together, with `events`.
    func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) async throws
    func isReachable() async -> Bool
}

public actor InMemoryPaymentStore: PaymentStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var payments: [String: Payment] = [:]
    private var byKey: [String: String] = [:]
    private var refunds: [Refund] = []

    public init() {}

    public func insert(_ payment: Payment, events: [DomainEvent]) throws {
        guard byKey[payment.idempotencyKey] == nil else { throw StoreError.duplicate("idempotency_key") }
        payments[payment.id] = payment
        byKey[payment.idempotencyKey] = payment.id
        outbox.append(events)
    }

    public func payment(id: String) -> Payment? { payments[id] }
    public func payment(idempotencyKey: String) -> Payment? { byKey[idempotencyKey].flatMap { payments[$0] } }
    public func payments(orderID: String) -> [Payment] { payments.values.filter { $0.orderId == orderID }.sorted { $0.createdAt < $1.createdAt } }

    public func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) {
        refunds.append(refund)
        payments[payment.id] = payment
        outbox.append(events)
    }

    public func isReachable() -> Bool { true }
}
