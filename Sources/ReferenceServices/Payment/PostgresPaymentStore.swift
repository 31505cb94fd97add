import Foundation
import TransportPostgres

/// Payments on PostgreSQL: `payments` (idempotency key unique), `payment_methods`, `refunds`.
package final class PostgresPaymentStore: PaymentStore, PostgresOutboxStore {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    package static func open(_ url: String) async throws -> PostgresPaymentStore {
        let pool = try await PostgresDatabases.migratedPool(url, connections: 12, schema: """
            CREATE TABLE payment_methods (
              id TEXT PRIMARY KEY, first_used_at TIMESTAMPTZ NOT NULL DEFAULT now());
            CREATE TABLE payments (
              id TEXT PRIMARY KEY, order_id TEXT NOT NULL, amount NUMERIC(10,2) NOT NULL CHECK (amount > 0), currency TEXT NOT NULL,
              payment_method TEXT NOT NULL REFERENCES payment_methods(id),
              status TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'refunded')),
              provider_payment_id TEXT, failure_code TEXT, failure_message TEXT,
              refunded_amount NUMERIC(10,2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
              idempotency_key TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
            CREATE INDEX payments_order ON payments(order_id);
            CREATE TABLE refunds (
              id TEXT PRIMARY KEY, payment_id TEXT NOT NULL REFERENCES payments(id), amount NUMERIC(10,2) NOT NULL CHECK (amount > 0),
              reason TEXT, provider_refund_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)
            """)
        return PostgresPaymentStore(pool: pool)
    }

    static func payment(_ row: PostgresRow) throws -> Payment {
        Payment(id: try row.decode("id"), orderId: try row.decode("order_id"), amount: try row.decode("amount"), currency: try row.decode("currency"),
                paymentMethod: try row.decode("payment_method"), status: try row.decode("status"),
                providerPaymentId: try row.decodeIfPresent("provider_payment_id"), failureCode: try row.decodeIfPresent("failure_code"),
                failureMessage: try row.decodeIfPresent("failure_message"), refundedAmount: try row.decode("refunded_amount"),
                idempotencyKey: try row.decode("idempotency_key"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    package func insert(_ payment: Payment, events: [DomainEvent]) async throws {
        do {
            try await pool.withConnection { c in
                try c.transaction { tx in
                    try tx.execute("INSERT INTO payment_methods (id) VALUES ($1) ON CONFLICT DO NOTHING", [payment.paymentMethod])
                    try tx.execute("""
                        INSERT INTO payments (id, order_id, amount, currency, payment_method, status, provider_payment_id, failure_code,
                                              failure_message, refunded_amount, idempotency_key, created_at, updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                        """, [payment.id, payment.orderId, payment.amount, payment.currency, payment.paymentMethod, payment.status,
                              payment.providerPaymentId, payment.failureCode, payment.failureMessage, payment.refundedAmount,
                              payment.idempotencyKey, payment.createdAt, payment.updatedAt])
                    try PostgresOutbox.insert(tx, events)
                }
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("idempotency_key")
        }
    }

    package func payment(id: String) async throws -> Payment? {
        try await pool.query("SELECT * FROM payments WHERE id = $1", [id]).first.map(Self.payment)
    }

    package func payment(idempotencyKey: String) async throws -> Payment? {
        try await pool.query("SELECT * FROM payments WHERE idempotency_key = $1", [idempotencyKey]).first.map(Self.payment)
    }

    package func payments(orderID: String) async throws -> [Payment] {
        try await pool.query("SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at", [orderID]).map(Self.payment)
    }

    package func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) async throws {
        try await pool.withConnection { c in
            try c.transaction { tx in
                try tx.execute("INSERT INTO refunds (id, payment_id, amount, reason, provider_refund_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                               [refund.id, refund.paymentId, refund.amount, refund.reason, refund.providerRefundId, refund.createdAt])
                try tx.execute("UPDATE payments SET status = $2, refunded_amount = $3, updated_at = $4 WHERE id = $1",
                               [payment.id, payment.status, payment.refundedAmount, payment.updatedAt])
                try PostgresOutbox.insert(tx, events)
            }
        }
    }

    package func isReachable() async -> Bool { await PostgresDatabases.ping(pool) }
}
