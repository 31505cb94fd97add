import Consistency
import Foundation
import TestSupport
import Testing
import Transport
import TransportPostgres

/// Two fresh databases on the test server (make test starts one), dropped afterwards.
func withDatabases(_ body: (_ source: String, _ target: String) throws -> Void) throws {
    let (maintenance, names, urls) = try createDatabases()
    defer { for name in names { _ = try? maintenance.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") } }
    try body(urls.source, urls.target)
}

/// The same for a test that waits: its blocking calls go through `BlockingWork`, so the
/// cooperative pool (two threads here) keeps serving the other tests' services meanwhile.
func withDatabasesAsync(_ body: (_ source: String, _ target: String) async throws -> Void) async throws {
    let (maintenance, names, urls) = try await onItsOwnThread { try createDatabases() }
    do { try await body(urls.source, urls.target) } catch {
        try await onItsOwnThread { for name in names { _ = try? maintenance.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") } }
        throw error
    }
    try await onItsOwnThread { for name in names { _ = try? maintenance.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") } }
}

private func createDatabases() throws -> (PostgresConnection, [String], (source: String, target: String)) {
    guard let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] else {
        throw ConsistencySkip()
    }
    let maintenance = try PostgresConnection(url: url)
    let names = ["tg_cons_src_\(UInt32.random(in: 0...UInt32.max))", "tg_cons_dst_\(UInt32.random(in: 0...UInt32.max))"]
    for name in names { try maintenance.execute("CREATE DATABASE \(name)") }
    func database(_ name: String) -> String { url.replacingOccurrences(of: "/postgres?", with: "/\(name)?") }
    return (maintenance, names, (database(names[0]), database(names[1])))
}

struct ConsistencySkip: Error {}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct TableComparerTests {
    /// 1,000 orders on each side, then every kind of difference seeded by hand.
    @Test func seededDifferencesAreFoundExactly() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                let source = try PostgresConnection(url: sourceURL), target = try PostgresConnection(url: targetURL)
                try source.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text, total numeric(12,2), note text)")
                try target.execute("CREATE TABLE legacy_orders (order_id bigint PRIMARY KEY, status varchar(20), total numeric, note text)")
                try source.execute("INSERT INTO orders SELECT n, 'confirmed', n * 1.5, NULL FROM generate_series(1, 1000) n")
                // The same values, numbers written with another scale (10.50 vs 10.5: not a difference).
                try target.execute("INSERT INTO legacy_orders SELECT n, 'confirmed', (n * 1.5)::numeric(20,4), NULL FROM generate_series(1, 1000) n")
                try target.execute("DELETE FROM legacy_orders WHERE order_id IN (7, 500, 1000)")          // missing in target
                try target.execute("INSERT INTO legacy_orders VALUES (1001, 'confirmed', 1, NULL), (1002, 'pending', 2, NULL)")  // missing in source
                try target.execute("UPDATE legacy_orders SET status = 'cancelled' WHERE order_id = 10")
                try target.execute("UPDATE legacy_orders SET total = total + 0.01 WHERE order_id = 20")
                try target.execute("UPDATE legacy_orders SET note = '' WHERE order_id = 30")             // NULL ≠ empty text
                try source.execute("UPDATE orders SET note = 'x' WHERE id = 40")
                var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "orders"), target: TableLocation(url: targetURL, table: "public.legacy_orders"), key: "id")
                request.recheck = RecheckPolicy(after: 0.05, rounds: 1)
                request.map = ["id": "order_id"]
                request.batch = 64
                request.bucketRows = 16
                request.parallel = 3
                let result = try TableComparer.compare(request)
                #expect(result.sourceRows == 1000 && result.targetRows == 999)
                #expect(result.missingInTarget == 3 && result.examples.missingInTarget == ["7", "500", "1000"])
                #expect(result.missingInSource == 2 && result.examples.missingInSource == ["1001", "1002"])
                #expect(result.differing == 4)
                #expect(result.examples.differing.map(\.key) == ["10", "20", "30", "40"])
                #expect(result.examples.differing[0].columns == [.init(column: "status", source: "confirmed", target: "cancelled")])
                #expect(result.examples.differing[2].columns == [.init(column: "note", source: nil, target: "")])
                #expect(result.firstPass == result.confirmed && result.recheckRounds == 1)
                #expect(abs(result.inconsistencyPercent - 0.9) < 1e-9)

                // Only some rows, and only some columns.
                request.filter = RowFilter(parsing: "id <= 15")
                request.columns = ["total"]
                let partial = try TableComparer.compare(request)
                #expect(partial.sourceRows == 15 && partial.missingInTarget == 1 && partial.differing == 0)
            }
        }
    }

    @Test func textKeysMergeInByteOrder() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                for url in [sourceURL, targetURL] {
                    let c = try PostgresConnection(url: url)
                    try c.execute("CREATE TABLE users (email text PRIMARY KEY, name text)")
                    try c.execute("INSERT INTO users VALUES ('B@x', 'b'), ('a@x', 'a'), ('_@x', 'u'), ('Ä@x', 'ae')")
                }
                try PostgresConnection(url: targetURL).execute("UPDATE users SET name = 'A' WHERE email = 'a@x'")
                var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "users"), target: TableLocation(url: targetURL, table: "users"), key: "email")
                request.batch = 1
                request.recheck = RecheckPolicy(after: 0, rounds: 1)
                let result = try TableComparer.compare(request)
                #expect(result.sourceRows == 4 && result.targetRows == 4 && result.missingInSource == 0 && result.missingInTarget == 0)
                #expect(result.examples.differing.map(\.key) == ["a@x"])
            }
        }
    }

    /// 20,000 orders per side in buckets of 100 rows: identical tables read no row one by one; a
    /// few differences read only their buckets; 1 % changed across every bucket and 3,000 rows only
    /// the target has (a bucket far larger than planned, cut again by the target's keys) are found
    /// exactly, on one connection per side and on four.
    @Test func bucketsReadOnlyWhatDiffers() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                let source = try PostgresConnection(url: sourceURL), target = try PostgresConnection(url: targetURL)
                for db in [source, target] {
                    try db.execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id uuid, status text, total numeric(12,2), created_at timestamptz)")
                    try db.execute("""
                        INSERT INTO orders SELECT n, md5(n::text)::uuid, 'confirmed', n % 1000 + 0.99, timestamptz '2026-01-01' + n * interval '1 second'
                        FROM generate_series(1, 20000) n
                        """)
                    try db.execute("ANALYZE orders")
                }
                var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "orders"), target: TableLocation(url: targetURL, table: "orders"), key: "id")
                request.bucketRows = 100
                request.recheck = .none
                let same = try TableComparer.compare(request)
                #expect(same.sourceRows == 20000 && same.targetRows == 20000 && same.inconsistentRows == 0 && same.rowsRead == 0, "\(same)")

                try target.execute("DELETE FROM orders WHERE id IN (5000, 15000)")
                try target.execute("UPDATE orders SET status = 'cancelled' WHERE id = 12345")
                let few = try TableComparer.compare(request)
                #expect(few.missingInTarget == 2 && few.differing == 1 && few.examples.missingInTarget == ["5000", "15000"], "\(few)")
                #expect(few.examples.differing.first?.key == "12345")
                #expect(few.rowsRead > 0 && few.rowsRead < 2_000, "only the buckets of the three rows are read: \(few.rowsRead)")

                try target.execute("UPDATE orders SET total = total + 1 WHERE id % 100 = 7")
                try target.execute("INSERT INTO orders SELECT 20000 + n, NULL, 'pending', 1, now() FROM generate_series(1, 3000) n")
                for parallel in [1, 4] {
                    request.parallel = parallel
                    let dense = try TableComparer.compare(request)
                    #expect(dense.sourceRows == 20000 && dense.targetRows == 22998, "\(dense)")
                    #expect(dense.missingInTarget == 2 && dense.missingInSource == 3000 && dense.differing == 201, "\(dense)")
                    #expect(dense.examples.missingInSource == ["20001", "20002", "20003", "20004", "20005"], "\(dense)")
                    #expect(dense.examples.differing.map(\.key) == ["7", "107", "207", "307", "407"], "\(dense)")
                }
            }
        }
    }

    /// Every PostgreSQL numeric type, on both paths (row digests, bucket checksums): floats
    /// compare exactly (`col::numeric` kept 6 / 15 significant digits and missed these), other
    /// numbers by exact value, and equal values of different types agree.
    @Test func everyNumericTypeComparesByExactValue() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                let source = try PostgresConnection(url: sourceURL), target = try PostgresConnection(url: targetURL)
                try source.execute("CREATE TABLE t (id bigint PRIMARY KEY, s smallint, i integer, b bigint, n numeric, r real, d double precision, m money)")
                try target.execute("CREATE TABLE t (id bigint PRIMARY KEY, s integer, i bigint, b numeric, n double precision, r real, d double precision, m money)")
                let same = "(1, 7, 70000, 9000000000, 10.50, 0.1, 0.1, 12.34), (2, -1, 0, 1, 100000000000000000, 1, 1e300, 0)"
                try source.execute("INSERT INTO t VALUES \(same)")
                try target.execute("INSERT INTO t VALUES (1, 7, 70000, 9000000000, 10.5, 0.1, 0.1, 12.34), (2, -1, 0, 1, 1e17, 1, 1e300, 0)")
                // One difference per row, each where a 6- or 15-digit conversion saw none.
                try source.execute("""
                    INSERT INTO t VALUES (3, 0, 0, 0, 0, 12345.67, 0, 0), (4, 0, 0, 0, 0, 0, 1.0000000000000002, 0),
                                         (5, 0, 0, 0, 0, 0, 1.2345678901234568e17, 0), (6, 0, 0, 0, 1.00000000000000000001, 0, 0, 0),
                                         (7, 0, 0, 9223372036854775807, 0, 0, 0, 0), (8, 0, 0, 0, 0, 0, 0, 0.01)
                    """)
                try target.execute("""
                    INSERT INTO t VALUES (3, 0, 0, 0, 0, 12345.72, 0, 0), (4, 0, 0, 0, 0, 0, 1, 0),
                                         (5, 0, 0, 0, 0, 0, 1.234567890123456e17, 0), (6, 0, 0, 0, 1, 0, 0, 0),
                                         (7, 0, 0, 9223372036854775806, 0, 0, 0, 0), (8, 0, 0, 0, 0, 0, 0, 0.02)
                    """)
                for bucketRows in [nil, 1] as [Int?] {
                    var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "t"), target: TableLocation(url: targetURL, table: "t"), key: "id")
                    request.bucketRows = bucketRows
                    request.recheck = .none
                    let result = try TableComparer.compare(request)
                    #expect(result.differing == 6 && result.missingInTarget == 0 && result.missingInSource == 0, "buckets \(String(describing: bucketRows)): \(result)")
                    #expect(result.examples.differing.map(\.key) == ["3", "4", "5", "6", "7"], "buckets \(String(describing: bucketRows)): \(result)")
                }
            }
        }
    }

    @Test func identifiersAreCheckedAndNeverRunAsSQL() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                try PostgresConnection(url: sourceURL).execute("CREATE TABLE t (id int PRIMARY KEY)")
                try PostgresConnection(url: targetURL).execute("CREATE TABLE t (id int PRIMARY KEY)")
                for (table, key) in [("t; DROP TABLE t", "id"), ("t", "id; DROP TABLE t"), ("missing", "id")] {
                    let request = ComparisonRequest(source: TableLocation(url: sourceURL, table: table), target: TableLocation(url: targetURL, table: "t"), key: key)
                    #expect(throws: ConsistencyError.self) { try TableComparer.compare(request) }
                }
                var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "t"), target: TableLocation(url: targetURL, table: "t"), key: "id")
                request.filter = RowFilter(parsing: "id = 1 OR 1=1")
                #expect(throws: (any Error).self) { try TableComparer.compare(request) }
                #expect(try PostgresConnection(url: sourceURL).query("SELECT count(*) AS n FROM t").first?["n"] == "0", "t survived")
            }
        }
    }
}

@Suite struct DigestMergeTests {
    /// Both sides read in batches of `size` rows.
    static func merge(_ source: [RowDigest], _ target: [RowDigest], size: Int) -> DigestMerge {
        var merge = DigestMerge(source: "s", target: "t", order: .numeric)
        var next = (source: 0, target: 0)
        merge.run(nextSource: {
            defer { next.source += size }
            return Array(source[min(source.count, next.source)..<min(source.count, next.source + size)])
        }, nextTarget: {
            defer { next.target += size }
            return Array(target[min(target.count, next.target)..<min(target.count, next.target + size)])
        })
        return merge
    }

    @Test(arguments: [1, 3, 10, 100])
    func streamsCutAnywhereMergeTheSame(size: Int) async throws {
        try await onItsOwnThread {
            let source = (1...50).filter { $0 % 7 != 0 }.map { RowDigest(key: String($0), digest: $0 == 20 ? "x" : "d") }
            let target = (1...55).filter { $0 % 11 != 0 }.map { RowDigest(key: String($0), digest: "d") }
            let merge = Self.merge(source, target, size: size), r = merge.result
            #expect(r.sourceRows == source.count && r.targetRows == target.count)
            #expect(r.missingInTarget == 4 && merge.mismatches.filter { $0.kind == .missingInTarget }.map(\.key) == ["11", "22", "33", "44"])
            #expect(r.missingInSource == 11 && merge.mismatches.count == 16)
            #expect(r.differing == 1 && merge.mismatches.first { $0.kind == .differing }?.key == "20")
        }
    }

    @Test func numericKeysSortAsNumbers() async throws {
        try await onItsOwnThread {
            let r = Self.merge([RowDigest(key: "9", digest: "d"), RowDigest(key: "10", digest: "d")],
                               [RowDigest(key: "9", digest: "d"), RowDigest(key: "10", digest: "d")], size: 1).result
            #expect(r.inconsistentRows == 0)
        }
    }
}
