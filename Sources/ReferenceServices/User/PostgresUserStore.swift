package import Foundation
import TransportPostgres

/// Users on PostgreSQL: `users`, `addresses`, `sessions`.
package final class PostgresUserStore: UserStore, PostgresOutboxStore {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    package static func open(_ url: String) async throws -> PostgresUserStore {
        let pool = try await PostgresDatabases.migratedPool(url, connections: 8, schema: """
            CREATE TABLE users (
              id UUID PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
              first_name TEXT NOT NULL, last_name TEXT NOT NULL, phone TEXT,
              role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
              created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
            CREATE TABLE addresses (
              id UUID PRIMARY KEY, user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              street TEXT NOT NULL, city TEXT NOT NULL, state TEXT NOT NULL, zip_code TEXT NOT NULL, country TEXT NOT NULL,
              is_default BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMPTZ NOT NULL);
            CREATE INDEX addresses_user ON addresses(user_id);
            CREATE TABLE sessions (
              id BIGSERIAL PRIMARY KEY, user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              token_id TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """)
        return PostgresUserStore(pool: pool)
    }

    static func user(_ row: PostgresRow) throws -> User {
        User(id: try row.decode("id"), email: try row.decode("email"), passwordHash: try row.decode("password_hash"),
             firstName: try row.decode("first_name"), lastName: try row.decode("last_name"), phone: try row.decodeIfPresent("phone"),
             role: try row.decode("role"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    package func insert(_ user: User, events: [DomainEvent]) async throws {
        do {
            try await pool.withConnection { c in
                try c.transaction { tx in
                    try tx.execute("""
                        INSERT INTO users (id, email, password_hash, first_name, last_name, phone, role, created_at, updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        """, [user.id, user.email.lowercased(), user.passwordHash, user.firstName, user.lastName, user.phone, user.role, user.createdAt, user.updatedAt])
                    try PostgresOutbox.insert(tx, events)
                }
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("email")
        }
    }

    package func user(id: String) async throws -> User? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try await pool.query("SELECT * FROM users WHERE id = $1", [id]).first.map(Self.user)
    }

    package func user(email: String) async throws -> User? {
        try await pool.query("SELECT * FROM users WHERE email = $1", [email.lowercased()]).first.map(Self.user)
    }

    package func update(_ user: User) async throws {
        let changed = try await pool.withConnection { c in
            try c.execute("UPDATE users SET first_name = $2, last_name = $3, phone = $4, role = $5, updated_at = $6 WHERE id = $1",
                          [user.id, user.firstName, user.lastName, user.phone, user.role, user.updatedAt])
        }
        if changed == 0 { throw StoreError.notFound("user") }
    }

    package func addresses(userID: String) async throws -> [Address] {
        try await pool.query("SELECT * FROM addresses WHERE user_id = $1 ORDER BY created_at", [userID]).map { row in
            Address(id: try row.decode("id"), userId: try row.decode("user_id"), street: try row.decode("street"), city: try row.decode("city"),
                    state: try row.decode("state"), zipCode: try row.decode("zip_code"), country: try row.decode("country"),
                    isDefault: try row.decode("is_default"), createdAt: try row.decode("created_at"))
        }
    }

    package func insert(_ address: Address) async throws {
        try await pool.withConnection { c in
            try c.transaction { tx in
                if address.isDefault { try tx.execute("UPDATE addresses SET is_default = false WHERE user_id = $1", [address.userId]) }
                try tx.execute("""
                    INSERT INTO addresses (id, user_id, street, city, state, zip_code, country, is_default, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """, [address.id, address.userId, address.street, address.city, address.state, address.zipCode, address.country, address.isDefault, address.createdAt])
            }
        }
    }

    package func recordSession(userID: String, tokenID: String, expiresAt: Date) async throws {
        try await pool.withConnection { c in
            try c.execute("INSERT INTO sessions (user_id, token_id, expires_at) VALUES ($1, $2, $3)", [userID, tokenID, expiresAt])
        }
    }

    package func users(after id: String?, limit: Int) async throws -> [User] {
        try await pool.query("SELECT * FROM users WHERE ($1::text IS NULL OR id::text COLLATE \"C\" > $1) ORDER BY id::text COLLATE \"C\" LIMIT $2",
                             [id, limit]).map(Self.user)
    }

    package func isReachable() async -> Bool { await PostgresDatabases.ping(pool) }
}
