package import Foundation

package struct ShippingAddress: Codable, Sendable, Equatable {
    package var street: String, city: String, state: String, zipCode: String, country: String

    /// Every field present, single-line and within its length; `prefix` names the enclosing field.
    func validate(prefix: String) throws {
        for (field, value, max) in [("street", street, 200), ("city", city, 100), ("state", state, 100), ("zip_code", zipCode, 20), ("country", country, 64)] {
            try Validate.text(value, prefix + field, max: max)
        }
    }
}

package struct OrderItem: Codable, Sendable, Equatable {
    package var productId: Int
    package var name: String
    package var quantity: Int
    package var unitPrice: Decimal
    package var lineTotal: Decimal
}

/// Where an order is in its life, and where it may go from there.
package enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case pending, confirmed, shipped, delivered, cancelled

    /// The allowed moves: pending → confirmed | cancelled, confirmed → shipped | cancelled,
    /// shipped → delivered; delivered and cancelled are final.
    package func canMove(to next: OrderStatus) -> Bool {
        switch (self, next) {
        case (.pending, .confirmed), (.pending, .cancelled), (.confirmed, .shipped), (.confirmed, .cancelled), (.shipped, .delivered): return true
        default: return false
        }
    }
}

package struct StatusChange: Codable, Sendable, Equatable {
    package var from: OrderStatus?
    package var to: OrderStatus
    package var note: String?
    package var at: Date
}

package struct Order: Codable, Sendable, Equatable {
    package var id: String
    package var userId: String
    package var status: OrderStatus
    package var items: [OrderItem]
    package var subtotal: Decimal
    package var tax: Decimal
    package var shipping: Decimal
    package var total: Decimal
    package var currency: String
    package var shippingAddress: ShippingAddress
    package var paymentMethod: String
    package var paymentId: String?
    package var cancellationReason: String?
    /// What the saga could not undo when it cancelled the order (a refund, a release), for
    /// an operator to finish by hand.
    package var compensationFailures: [String] = []
    package var idempotencyKey: String?
    package var createdAt: Date
    package var updatedAt: Date
    package var statusHistory: [StatusChange]

    mutating func move(to status: OrderStatus, note: String?, at date: Date = Date()) {
        statusHistory.append(StatusChange(from: self.status, to: status, note: note, at: date))
        self.status = status
        updatedAt = date
    }
}

/// The orders database: `orders`, `order_items`, `order_status_history`.
package protocol OrderStore: OutboxStore {
    /// Throws `StoreError.duplicate` when the user already used the idempotency key.
    func insert(_ order: Order, events: [DomainEvent]) async throws
    func order(id: String) async throws -> Order?
    func order(userID: String, idempotencyKey: String) async throws -> Order?
    func orders(userID: String) async throws -> [Order]
    /// Saves status and payment changes, appending new history entries, with `events`.
    func update(_ order: Order, events: [DomainEvent]) async throws
    /// Up to `limit` orders whose id sorts after `id` (byte order), in that order: the export.
    func orders(after id: String?, limit: Int) async throws -> [Order]
    func isReachable() async -> Bool
}

package actor InMemoryOrderStore: OrderStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var orders: [String: Order] = [:]
    private var byKey: [String: String] = [:]

    package init() {}

    package func insert(_ order: Order, events: [DomainEvent]) throws {
        if let key = order.idempotencyKey {
            guard byKey[order.userId + "\u{0}" + key] == nil else { throw StoreError.duplicate("idempotency_key") }
            byKey[order.userId + "\u{0}" + key] = order.id
        }
        orders[order.id] = order
        outbox.append(events)
    }

    package func order(id: String) -> Order? { orders[id] }
    package func order(userID: String, idempotencyKey: String) -> Order? { byKey[userID + "\u{0}" + idempotencyKey].flatMap { orders[$0] } }
    package func orders(userID: String) -> [Order] { orders.values.filter { $0.userId == userID }.sorted { $0.createdAt > $1.createdAt } }

    package func update(_ order: Order, events: [DomainEvent]) throws {
        guard orders[order.id] != nil else { throw StoreError.notFound("order") }
        orders[order.id] = order
        outbox.append(events)
    }

    package func orders(after id: String?, limit: Int) -> [Order] {
        KeysetPage.page(orders.values, after: id, limit: limit) { $0.id }
    }

    package func isReachable() -> Bool { true }
}
