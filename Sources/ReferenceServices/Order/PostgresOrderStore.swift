import Foundation
import TransportPostgres

/// Orders on PostgreSQL: `orders`, `order_items`, `order_status_history`.
package final class PostgresOrderStore: OrderStore, PostgresOutboxStore {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    package static func open(_ url: String) async throws -> PostgresOrderStore {
        let pool = try await PostgresDatabases.migratedPool(url, connections: 12, schema: """
            CREATE TABLE orders (
              id UUID PRIMARY KEY, user_id UUID NOT NULL,
              status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
              subtotal NUMERIC(10,2) NOT NULL, tax NUMERIC(10,2) NOT NULL, shipping NUMERIC(10,2) NOT NULL,
              total NUMERIC(10,2) NOT NULL CHECK (total >= 0), currency TEXT NOT NULL,
              shipping_address JSONB NOT NULL, payment_method TEXT NOT NULL, payment_id TEXT, cancellation_reason TEXT,
              idempotency_key TEXT, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
              UNIQUE (user_id, idempotency_key));
            CREATE INDEX orders_user ON orders(user_id, created_at DESC);
            CREATE TABLE order_items (
              order_id UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE, position INT NOT NULL,
              product_id INT NOT NULL, name TEXT NOT NULL, quantity INT NOT NULL CHECK (quantity > 0),
              unit_price NUMERIC(10,2) NOT NULL, line_total NUMERIC(10,2) NOT NULL, PRIMARY KEY (order_id, position));
            CREATE TABLE order_status_history (
              id BIGSERIAL PRIMARY KEY, order_id UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
              from_status TEXT, to_status TEXT NOT NULL, note TEXT, changed_at TIMESTAMPTZ NOT NULL)
            """, later: [(3, "ALTER TABLE orders ADD COLUMN compensation_failures JSONB NOT NULL DEFAULT '[]'")])
        return PostgresOrderStore(pool: pool)
    }

    package func insert(_ order: Order, events: [DomainEvent]) async throws {
        do {
            try await pool.withConnection { c in
                try c.transaction { tx in
                    try tx.execute("""
                        INSERT INTO orders (id, user_id, status, subtotal, tax, shipping, total, currency, shipping_address, payment_method,
                                            payment_id, cancellation_reason, idempotency_key, created_at, updated_at, compensation_failures)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15, $16::jsonb)
                        """, [order.id, order.userId, order.status.rawValue, order.subtotal, order.tax, order.shipping, order.total, order.currency,
                              try jsonText(order.shippingAddress), order.paymentMethod, order.paymentId, order.cancellationReason,
                              order.idempotencyKey, order.createdAt, order.updatedAt, try jsonText(order.compensationFailures)])
                    for (position, item) in order.items.enumerated() {
                        try tx.execute("""
                            INSERT INTO order_items (order_id, position, product_id, name, quantity, unit_price, line_total)
                            VALUES ($1, $2, $3, $4, $5, $6, $7)
                            """, [order.id, position, item.productId, item.name, item.quantity, item.unitPrice, item.lineTotal])
                    }
                    try Self.appendHistory(tx, order, from: 0)
                    try PostgresOutbox.insert(tx, events)
                }
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("idempotency_key")
        }
    }

    static func appendHistory(_ c: PostgresConnection, _ order: Order, from index: Int) throws {
        for change in order.statusHistory.dropFirst(index) {
            try c.execute("INSERT INTO order_status_history (order_id, from_status, to_status, note, changed_at) VALUES ($1, $2, $3, $4, $5)",
                          [order.id, change.from?.rawValue, change.to.rawValue, change.note, change.at])
        }
    }

    static func load(_ c: PostgresConnection, _ row: PostgresRow) throws -> Order {
        let id: String = try row.decode("id")
        let items = try c.query("SELECT * FROM order_items WHERE order_id = $1 ORDER BY position", [id]).map { r in
            OrderItem(productId: try r.decode("product_id"), name: try r.decode("name"), quantity: try r.decode("quantity"),
                      unitPrice: try r.decode("unit_price"), lineTotal: try r.decode("line_total"))
        }
        let history = try c.query("SELECT * FROM order_status_history WHERE order_id = $1 ORDER BY id", [id]).map { r in
            StatusChange(from: try r.decodeIfPresent("from_status", as: String.self).map(Self.status), to: try Self.status(r.decode("to_status")),
                         note: try r.decodeIfPresent("note"), at: try r.decode("changed_at"))
        }
        return Order(id: id, userId: try row.decode("user_id"), status: try Self.status(row.decode("status")), items: items, subtotal: try row.decode("subtotal"),
                     tax: try row.decode("tax"), shipping: try row.decode("shipping"), total: try row.decode("total"), currency: try row.decode("currency"),
                     shippingAddress: try row.json("shipping_address", as: ShippingAddress.self), paymentMethod: try row.decode("payment_method"),
                     paymentId: try row.decodeIfPresent("payment_id"), cancellationReason: try row.decodeIfPresent("cancellation_reason"),
                     compensationFailures: try row.json("compensation_failures", as: [String].self),
                     idempotencyKey: try row.decodeIfPresent("idempotency_key"), createdAt: try row.decode("created_at"),
                     updatedAt: try row.decode("updated_at"), statusHistory: history)
    }

    static func status(_ text: String) throws -> OrderStatus {
        guard let status = OrderStatus(rawValue: text) else { throw PostgresError(sqlState: nil, message: "unknown order status '\(text)'", detail: nil) }
        return status
    }

    private func fetch(_ sql: String, _ parameters: [(any PostgresEncodable)?]) async throws -> [Order] {
        try await pool.withConnection { c in try c.query(sql, parameters).map { try Self.load(c, $0) } }
    }

    package func order(id: String) async throws -> Order? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try await fetch("SELECT * FROM orders WHERE id = $1", [id]).first
    }

    package func order(userID: String, idempotencyKey: String) async throws -> Order? {
        guard UUID(uuidString: userID) != nil else { return nil }
        return try await fetch("SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2", [userID, idempotencyKey]).first
    }

    package func orders(userID: String) async throws -> [Order] {
        guard UUID(uuidString: userID) != nil else { return [] }
        return try await fetch("SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC", [userID])
    }

    package func orders(after id: String?, limit: Int) async throws -> [Order] {
        try await fetch("SELECT * FROM orders WHERE ($1::text IS NULL OR id::text COLLATE \"C\" > $1) ORDER BY id::text COLLATE \"C\" LIMIT $2", [id, limit])
    }

    package func update(_ order: Order, events: [DomainEvent]) async throws {
        try await pool.withConnection { c in
            try c.transaction { tx in
                let changed = try tx.execute("""
                    UPDATE orders SET status = $2, payment_id = $3, cancellation_reason = $4, updated_at = $5, compensation_failures = $6::jsonb
                    WHERE id = $1
                    """, [order.id, order.status.rawValue, order.paymentId, order.cancellationReason, order.updatedAt, try jsonText(order.compensationFailures)])
                guard changed == 1 else { throw StoreError.notFound("order") }
                let stored = try tx.query("SELECT count(*) AS n FROM order_status_history WHERE order_id = $1", [order.id])[0].decode("n", as: Int.self)
                try Self.appendHistory(tx, order, from: stored)
                try PostgresOutbox.insert(tx, events)
            }
        }
    }

    package func isReachable() async -> Bool { await PostgresDatabases.ping(pool) }
}
