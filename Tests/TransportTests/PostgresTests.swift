import Foundation
import TestSupport
import Testing
import TransportPostgres

/// The server `make test` starts for the suite.
let testDatabaseURL = ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]

/// Runs against the real PostgreSQL server that `make test` starts (TOLLGATE_TEST_DATABASE_URL).
@Suite(.serialized, .enabled(if: testDatabaseURL != nil, "needs TOLLGATE_TEST_DATABASE_URL (make test starts a server)"))
struct PostgresTests {
    static let url = testDatabaseURL

    func freshTable(_ connection: PostgresConnection, _ name: String) throws {
        try connection.execute("DROP TABLE IF EXISTS \(name)")
        try connection.execute("""
            CREATE TABLE \(name) (
              id SERIAL PRIMARY KEY, sku TEXT UNIQUE NOT NULL, price NUMERIC(10,2) NOT NULL,
              stock INT NOT NULL CHECK (stock >= 0), active BOOLEAN NOT NULL DEFAULT true,
              ref UUID, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), note TEXT)
            """)
    }

    @Test func aFailedRollbackIsReportedAndTheConnectionIsNotReused() async throws {
        try await onItsOwnThread {
            let connection = try PostgresConnection(url: Self.url!)
            let killer = try PostgresConnection(url: Self.url!)
            let pid = try connection.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            struct Failure: Error {}
            do {
                try connection.transaction { tx in
                    try tx.execute("SELECT 1")
                    // The server ends this session mid-transaction: the ROLLBACK that follows cannot reach it.
                    try killer.execute("SELECT pg_terminate_backend($1)", [pid])
                    let gone = try eventuallyBlocking(timeout: 5) { try killer.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]).isEmpty }
                    #expect(gone, "the backend ended")
                    throw Failure()
                }
                Issue.record("the transaction should have failed")
            } catch let error as PostgresError {
                #expect(error.message.contains("ROLLBACK failed"), "\(error)")
            }
            #expect(!connection.isHealthy, "a connection whose rollback failed is never handed out again")
        }
    }

    @Test func aNULInATextParameterIsAnErrorNotATruncation() async throws {
        try await onItsOwnThread {
            let connection = try PostgresConnection(url: Self.url!)
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text AS v", ["victim@example.com\u{0}x"]) }
            #expect(error?.sqlState == "22021")
        }
    }

    @Test func parameterisedQueriesWithTypedRows() async throws {
        try await onItsOwnThread {
            let connection = try PostgresConnection(url: Self.url!)
            try freshTable(connection, "pg_typed")
            let ref = UUID()
            let hostile = "x'); DROP TABLE pg_typed; --"
            try connection.execute("INSERT INTO pg_typed (sku, price, stock, ref, note) VALUES ($1, $2, $3, $4, $5)",
                                   ["sku-1", Decimal(string: "19.99")!, 10, ref, hostile])
            try connection.execute("INSERT INTO pg_typed (sku, price, stock, active) VALUES ($1, $2, $3, $4)", ["sku-2", Decimal(string: "0.10")!, 0, false])
            let rows = try connection.query("SELECT * FROM pg_typed WHERE price > $1 ORDER BY sku", [Decimal(0)])
            #expect(rows.count == 2)
            #expect(try rows[0].decode("price", as: Decimal.self) == Decimal(string: "19.99")!)
            #expect(try rows[0].decode("stock", as: Int.self) == 10)
            #expect(try rows[0].decode("ref", as: UUID.self) == ref)
            #expect(try rows[0].decode("note", as: String.self) == hostile)
            #expect(try rows[1].decode("active", as: Bool.self) == false)
            #expect(try rows[1].decodeIfPresent("ref", as: UUID.self) == nil)
            let created = try rows[0].decode("created_at", as: Date.self)
            #expect(abs(created.timeIntervalSinceNow) < 60)
            let sum = try connection.query("SELECT sum(price) AS total FROM pg_typed")
            #expect(try sum[0].decode("total", as: Decimal.self) == Decimal(string: "20.09")!)
        }
    }

    @Test func serverErrorsCarrySQLState() async throws {
        try await onItsOwnThread {
            let connection = try PostgresConnection(url: Self.url!)
            try freshTable(connection, "pg_errors")
            try connection.execute("INSERT INTO pg_errors (sku, price, stock) VALUES ($1, 1, 1)", ["dup"])
            let unique = #expect(throws: PostgresError.self) { try connection.execute("INSERT INTO pg_errors (sku, price, stock) VALUES ($1, 1, 1)", ["dup"]) }
            #expect(unique?.sqlState == "23505")
            #expect(unique?.isUniqueViolation == true)
            let check = #expect(throws: PostgresError.self) { try connection.execute("UPDATE pg_errors SET stock = stock - 5 WHERE sku = $1", ["dup"]) }
            #expect(check?.sqlState == "23514")
            let syntax = #expect(throws: PostgresError.self) { try connection.query("SELEC 1") }
            #expect(syntax?.sqlState == "42601")
            #expect(syntax?.description.contains("syntax error") == true)
        }
    }

    @Test func transactionsCommitOrRollBack() async throws {
        try await onItsOwnThread {
            let connection = try PostgresConnection(url: Self.url!)
            try freshTable(connection, "pg_tx")
            let inserted = try connection.transaction { try $0.execute("INSERT INTO pg_tx (sku, price, stock) VALUES ('a', 1, 1)") }
            #expect(inserted == 1)
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try connection.transaction { tx in
                    try tx.execute("INSERT INTO pg_tx (sku, price, stock) VALUES ('b', 1, 1)")
                    throw Boom()
                }
            }
            #expect(try connection.query("SELECT sku FROM pg_tx").compactMap { $0["sku"] } == ["a"])
        }
    }

    @Test func unreachableServerIsAClearError() async throws {
        try await onItsOwnThread {
            let error = #expect(throws: PostgresError.self) { try PostgresConnection(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2") }
            #expect(error?.description.contains("cannot connect") == true)
        }
    }

    @Test func poolKeepsStockNonNegativeUnderConcurrency() async throws {
        let setup = try PostgresConnection(url: Self.url!)
        try freshTable(setup, "pg_pool")
        try setup.execute("INSERT INTO pg_pool (sku, price, stock) VALUES ('last-ten', 5, 10)")
        // Correctness under contention, not the wait: a busy CI machine may take a while.
        let pool = PostgresPool(url: Self.url!, maximumConnections: 6, acquireTimeout: 60)
        let sold = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try connection.execute("UPDATE pg_pool SET stock = stock - 1 WHERE sku = $1 AND stock >= 1", ["last-ten"])
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sold == 10)
        let rows = try await pool.query("SELECT stock FROM pg_pool WHERE sku = $1", ["last-ten"])
        #expect(try rows[0].decode("stock", as: Int.self) == 0)
    }
}
