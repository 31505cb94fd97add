import Foundation
@testable import ReferenceServices
import TestSupport
import Testing
import TransportPostgres

/// Several replicas of a service starting together on a fresh database (a Kubernetes first
/// deploy): 1 start in 10 crashed on `duplicate key … pg_type_typname_nsp_index`, two processes
/// creating `schema_migrations` at once.
@Suite(.enabled(if: StoreKind.databaseURL != nil, "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct MigrationLockTests {
    @Test func replicasMigratingAFreshDatabaseTogetherAllStart() async throws {
        let server = try #require(StoreKind.databaseURL)
        for round in 0..<4 {
            let name = "tg_migrate_\(round)_\(UInt32.random(in: 0...UInt32.max))"
            let maintenance = try await onItsOwnThread { try PostgresConnection(url: server) }
            _ = try await onItsOwnThread { try maintenance.execute("CREATE DATABASE \(name)") }
            let url = server.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            let pool = PostgresPool(url: url, maximumConnections: 1)
                            try await PostgresDatabases.migrate(pool, [(1, "CREATE TABLE things (id int PRIMARY KEY)"), (2, "ALTER TABLE things ADD COLUMN v text")])
                        }
                    }
                    try await group.waitForAll()
                }
                let pool = PostgresPool(url: url, maximumConnections: 1)
                let versions = try await pool.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode("version", as: Int.self) }
                #expect(versions == [1, 2], "each migration once")
            } catch {
                Issue.record("round \(round): \(error)")
            }
            _ = try? await onItsOwnThread { try maintenance.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        }
    }
}
