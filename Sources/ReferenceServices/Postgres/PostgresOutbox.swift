import Foundation
import TransportPostgres

/// The `outbox` table every service database has, and the `OutboxStore` operations on it.
enum PostgresOutbox {
    /// The migration that adds the table (after each store's own first migration).
    static let migration = (version: 2, sql: """
        CREATE TABLE outbox (
          seq BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, aggregate_id TEXT NOT NULL,
          correlation_id TEXT NOT NULL, event_version INT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, payload TEXT NOT NULL,
          claimed_until TIMESTAMPTZ, sent_at TIMESTAMPTZ);
        CREATE INDEX outbox_pending ON outbox(seq) WHERE sent_at IS NULL
        """)

    /// Writes `events` on `connection`, inside the caller's transaction.
    static func insert(_ connection: PostgresConnection, _ events: [DomainEvent]) throws {
        for event in events {
            try connection.execute("""
                INSERT INTO outbox (event_id, event_type, aggregate_id, correlation_id, event_version, occurred_at, payload)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [event.eventID, event.type, event.aggregateID, event.correlationID, event.version, event.timestamp,
                      String(decoding: try JSONEncoder().encode(event.payload), as: UTF8.self)])
        }
    }

    static func claim(_ pool: PostgresPool, limit: Int) async throws -> [DomainEvent] {
        try await pool.query("""
            WITH claimed AS (
              UPDATE outbox SET claimed_until = now() + make_interval(secs => $2)
              WHERE seq IN (SELECT seq FROM outbox WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                            ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
              RETURNING *)
            SELECT * FROM claimed ORDER BY seq
            """, [limit, Int(OutboxRelay.claimSeconds)]).map { row in
            var event = DomainEvent(type: try row.decode("event_type"), aggregateID: try row.decode("aggregate_id"),
                                    correlationID: try row.decode("correlation_id"),
                                    payload: try JSONDecoder().decode([String: JSONField].self, from: Data((try row.decode("payload", as: String.self)).utf8)))
            event.eventID = try row.decode("event_id")
            event.version = try row.decode("event_version")
            event.timestamp = try row.decode("occurred_at")
            return event
        }
    }

    static func markSent(_ pool: PostgresPool, _ ids: [String]) async throws {
        _ = try await pool.query("UPDATE outbox SET sent_at = now() WHERE event_id = ANY($1) RETURNING seq", [ids])
    }

    static func releaseClaims(_ pool: PostgresPool, _ ids: [String]) async throws {
        _ = try await pool.query("UPDATE outbox SET claimed_until = NULL WHERE event_id = ANY($1) AND sent_at IS NULL RETURNING seq", [ids])
    }

    static func enqueue(_ pool: PostgresPool, _ events: [DomainEvent]) async throws {
        try await pool.withConnection { c in try c.transaction { try insert($0, events) } }
    }

    static func pendingCount(_ pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")[0].decode("n", as: Int.self)
    }
}

/// A PostgreSQL store whose database has the outbox table.
protocol PostgresOutboxStore: OutboxStore {
    var pool: PostgresPool { get }
}

extension PostgresOutboxStore {
    package func claimPendingEvents(limit: Int) async throws -> [DomainEvent] { try await PostgresOutbox.claim(pool, limit: limit) }
    package func markSent(_ eventIDs: [String]) async throws { try await PostgresOutbox.markSent(pool, eventIDs) }
    package func enqueue(_ events: [DomainEvent]) async throws { try await PostgresOutbox.enqueue(pool, events) }
    package func releaseClaims(_ eventIDs: [String]) async throws { try await PostgresOutbox.releaseClaims(pool, eventIDs) }
    package func pendingEventCount() async throws -> Int { try await PostgresOutbox.pendingCount(pool) }
}

/// An in-memory store that keeps its outbox in its actor.
protocol InMemoryOutboxStore: OutboxStore, Actor {
    var outbox: InMemoryOutbox { get set }
}

extension InMemoryOutboxStore {
    package func claimPendingEvents(limit: Int) -> [DomainEvent] { outbox.claim(limit: limit) }
    package func markSent(_ eventIDs: [String]) { outbox.markSent(eventIDs) }
    package func enqueue(_ events: [DomainEvent]) { outbox.append(events) }
    package func releaseClaims(_ eventIDs: [String]) { outbox.releaseClaims(eventIDs) }
    package func pendingEventCount() -> Int { outbox.count }
}
