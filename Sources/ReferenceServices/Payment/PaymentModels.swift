package import Foundation

package struct Payment: Codable, Sendable, Equatable {
    package var id: String
    package var orderId: String
    package var amount: Decimal
    package var currency: String
    package var paymentMethod: String
    /// completed, failed or refunded.
    package var status: String
    package var providerPaymentId: String?
    package var failureCode: String?
    package var failureMessage: String?
    package var refundedAmount: Decimal
    package var idempotencyKey: String
    package var createdAt: Date
    package var updatedAt: Date
}

package struct Refund: Codable, Sendable, Equatable {
    package var id: String
    package var paymentId: String
    package var amount: Decimal
    package var reason: String?
    package var providerRefundId: String
    package var createdAt: Date
}

/// The payments database: `payments`, `payment_methods`, `refunds`.
package protocol PaymentStore: OutboxStore {
    /// Throws `StoreError.duplicate` when the idempotency key was used before.
    func insert(_ payment: Payment, events: [DomainEvent]) async throws
    func payment(id: String) async throws -> Payment?
    func payment(idempotencyKey: String) async throws -> Payment?
    func payments(orderID: String) async throws -> [Payment]
    /// Saves the refund and the payment's new state together, with `events`.
    func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) async throws
    func isReachable() async -> Bool
}

package actor InMemoryPaymentStore: PaymentStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var payments: [String: Payment] = [:]
    private var byKey: [String: String] = [:]
    private var refunds: [Refund] = []

    package init() {}

    package func insert(_ payment: Payment, events: [DomainEvent]) throws {
        guard byKey[payment.idempotencyKey] == nil else { throw StoreError.duplicate("idempotency_key") }
        payments[payment.id] = payment
        byKey[payment.idempotencyKey] = payment.id
        outbox.append(events)
    }

    package func payment(id: String) -> Payment? { payments[id] }
    package func payment(idempotencyKey: String) -> Payment? { byKey[idempotencyKey].flatMap { payments[$0] } }
    package func payments(orderID: String) -> [Payment] { payments.values.filter { $0.orderId == orderID }.sorted { $0.createdAt < $1.createdAt } }

    package func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) {
        refunds.append(refund)
        payments[payment.id] = payment
        outbox.append(events)
    }

    package func isReachable() -> Bool { true }
}
