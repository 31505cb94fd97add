import Foundation

public struct ShippingAddress: Codable, Sendable, Equatable {
    public var street: String, city: String, state: String, zipCode: String, country: String

    /// Every field present, single-line and within its length; `prefix` names the enclosing field.
    func validate(prefix: String) throws {
        for (field, value, max) in [("street", street, 200), ("city", city, 100), ("state", state, 100), ("zip_code", zipCode, 20), ("country", country, 64)] {
            try Validate.text(value, prefix + field, max: max)
        }
    }
}

public struct OrderItem: Codable, Sendable, Equatable {
    public var productId: Int
    public var name: String
    public var quantity: Int
    public var unitPrice: Decimal
    public var lineTotal: Decimal
}

/// Where an order is in its life, and where it may go from there.
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case pending, confirmed, shipped, delivered, cancelled

    /// The allowed moves: pending → confirmed | cancelled, confirmed → shipped | cancelled,
    /// shipped → delivered; delivered and cancelled are final.
    public func canMove(to next: OrderStatus) -> Bool {
        switch (self, next) {
        case (.pending, .confirmed), (.pending, .cancelled), (.confirmed, .shipped), (.confirmed, .cancelled), (.shipped, .delivered): return true
        default: return false
        }
    }
}

public struct StatusChange: Codable, Sendable, Equatable {
    public var from: OrderStatus?
    public var to: OrderStatus
    public var note: String?
    public var at: Date
}

public struct Order: Codable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var status: OrderStatus
    public var items: [OrderItem]
    public var subtotal: Decimal
    public var tax: Decimal
    public var shipping: Decimal
    public var total: Decimal
    public var currency: String
    public var shippingAddress: ShippingAddress
    public var paymentMethod: String
    public var paymentId: String?
    public var cancellationReason: String?
    /// What the saga could not undo when it cancelled the order (a refund, a release), for
    /// an operator to finish by hand.
    public var compensationFailures: [String] = []
    public var idempotencyKey: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var statusHistory: [StatusChange]

    mutating func move(to status: OrderStatus, note: String?, at date: Date = Date()) {
        statusHistory.append(StatusChange(from: self.status, to: status, note: note, at: date))
        self.status = status
        updatedAt = date
    }
}

/// The orders database: `orders`, `order_items`, `order_status_history`.
public protocol OrderStore: OutboxStore {
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

public actor InMemoryOrderStore: OrderStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var orders: [String: Order] = [:]
    private var byKey: [String: String] = [:]

    public init() {}

    public func insert(_ order: Order, events: [DomainEvent]) throws {
        if let key = order.idempotencyKey {
            guard byKey[order.userId + "\u{0}" + key] == nil else { throw StoreError.duplicate("idempotency_key") }
            byKey[order.userId + "\u{0}" + key] = order.id
        }
        orders[order.id] = order
        outbox.append(events)
    }

    public func order(id: String) -> Order? { orders[id] }
    public func order(userID: String, idempotencyKey: String) -> Order? { byKey[userID + "\u{0}" + idempotencyKey].flatMap { orders[$0] } }
    public func orders(userID: String) -> [Order] { orders.values.filter { $0.userId == userID }.sorted { $0.createdAt > $1.createdAt } }

    public func update(_ order: Order, events: [DomainEvent]) throws {
        guard orders[order.id] != nil else { throw StoreError.notFound("order") }
        orders[order.id] = order
        outbox.append(events)
    }

    public func orders(after id: String?, limit: Int) -> [Order] {
        Array(orders.values.filter { id == nil || id!.utf8.lexicographicallyPrecedes($0.id.utf8) }
            .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }.prefix(limit))
    }

    public func isReachable() -> Bool { true }
}
