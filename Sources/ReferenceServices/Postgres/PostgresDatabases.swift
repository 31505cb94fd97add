import Foundation
import Transport
import TransportPostgres

/// One database per service on a PostgreSQL server, created when missing, with its schema
/// migrated at start.
enum PostgresDatabases {
    /// The URL of `service`'s database on the server of `base`. A base database other than
    /// `postgres` becomes a prefix (`…/run42` → `run42_users`), so test runs stay apart.
    static func url(_ base: String, database service: String) async throws -> String {
        try await BlockingWork.run { try createIfMissing(base, database: service) }
    }

    /// The URL of one schema of `database` (created when missing), as the connection's search
    /// path: the monolith keeps its tables in one database, a schema per former module.
    static func url(_ base: String, database: String, schema: String) async throws -> String {
        try await BlockingWork.run {
            let url = try createIfMissing(base, database: database)
            guard schema.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
                throw PostgresError(sqlState: nil, message: "schema name '\(schema)' must be lowercase letters, digits and _", detail: nil)
            }
            // An identifier cannot be a parameter; the name was checked above.
            try PostgresConnection(url: url).execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
            var components = URLComponents(string: url)!
            // libpq refuses a second '=' in a URI parameter: it is percent-encoded.
            components.percentEncodedQueryItems = (components.percentEncodedQueryItems ?? []) + [URLQueryItem(name: "options", value: "-csearch_path%3D\(schema)")]
            return components.string!
        }
    }

    private static func createIfMissing(_ base: String, database service: String) throws -> String {
        guard var components = URLComponents(string: base), components.host != nil else {
            throw PostgresError(sqlState: nil, message: "not a PostgreSQL URL: \(base)", detail: nil)
        }
        let baseName = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let name = baseName.isEmpty || baseName == "postgres" ? service : "\(baseName)_\(service)"
        guard name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
            throw PostgresError(sqlState: nil, message: "database name '\(name)' must be lowercase letters, digits and _", detail: nil)
        }
        components.path = "/postgres"
        let maintenance = try PostgresConnection(url: components.string!)
        if try maintenance.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty {
            do {
                // An identifier cannot be a parameter; the name was checked above.
                try maintenance.execute("CREATE DATABASE \"\(name)\"")
            } catch let error as PostgresError where error.sqlState == "42P04" || error.sqlState == "23505" {
                // Created meanwhile by another service or process.
            }
        }
        components.path = "/" + name
        return components.string!
    }

    /// Applies `migrations` (version, SQL) not yet recorded in `schema_migrations`, each in a
    /// transaction, serialised across processes with an advisory lock — the bookkeeping table
    /// too: two processes creating it at once on a fresh database collided in PostgreSQL's
    /// catalog (`duplicate key … pg_type_typname_nsp_index`) and one crashed.
    static func migrate(_ pool: PostgresPool, _ migrations: [(version: Int, sql: String)]) async throws {
        try await pool.withConnection { connection in
            try connection.transaction { tx in
                try tx.execute("SELECT pg_advisory_xact_lock(7412001)")
                try tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                let applied = Set(try tx.query("SELECT version FROM schema_migrations").map { try $0.decode("version", as: Int.self) })
                for migration in migrations where !applied.contains(migration.version) {
                    for statement in migration.sql.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        try tx.execute(statement)
                    }
                    try tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", [migration.version])
                }
            }
        }
    }

    /// A pool on `url` (at most `connections` open) whose database has `schema` (migration 1), the
    /// outbox (2) and the `later` migrations applied: how every service's PostgreSQL store opens.
    static func migratedPool(_ url: String, connections: Int, schema: String, later: [(version: Int, sql: String)] = []) async throws -> PostgresPool {
        let pool = PostgresPool(url: url, maximumConnections: connections)
        try await migrate(pool, [(1, schema), PostgresOutbox.migration] + later)
        return pool
    }

    static func ping(_ pool: PostgresPool) async -> Bool {
        (try? await pool.query("SELECT 1 AS ok").isEmpty == false) ?? false
    }
}

extension PostgresRow {
    /// A JSON column decoded with the services' snake_case decoder.
    func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
        guard let text = self[column] else { throw PostgresError(sqlState: nil, message: "column '\(column)' is NULL", detail: nil) }
        return try JSON.decoder.decode(type, from: Data(text.utf8))
    }
}

func jsonText<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSON.encode(value), as: UTF8.self) }
