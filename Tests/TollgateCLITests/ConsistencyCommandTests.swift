import Foundation
import Testing
import Transport

@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct ConsistencyCommandTests {
    @Test func differencesAboveTheThresholdExitOneWithExamplesAndAReport() throws {
        let url = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"])
        let maintenance = try PostgresConnection(url: url)
        let name = "tg_cons_cli_\(UInt32.random(in: 0...UInt32.max))"
        try maintenance.execute("CREATE DATABASE \(name)")
        defer { _ = try? maintenance.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        let database = url.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
        let db = try PostgresConnection(url: database)
        try db.execute("CREATE TABLE users (id int PRIMARY KEY, email text)")
        try db.execute("CREATE TABLE users_copy (id int PRIMARY KEY, mail text)")
        try db.execute("INSERT INTO users SELECT n, 'u' || n || '@x' FROM generate_series(1, 2000) n")
        try db.execute("INSERT INTO users_copy SELECT id, email FROM users WHERE id <> 1500")
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("consistency-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let result = try runTollgate(["consistency", "--source", database, "--target", database, "--table", "users", "--target-table", "users_copy",
                                      "--map", "email=mail", "--batch", "300", "--json", report.path])
        #expect(result.status == 1, "\(result.out)\(result.err)")
        #expect(result.out.contains("2000 vs 1999 rows, 0.0500 % inconsistent (threshold 0.0100 %)"), "\(result.out)")
        #expect(result.out.contains("missing in target 1 (e.g. 1500)"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["schema_version"] as? String == "tollgate.consistency/v1" && json["passed"] as? Bool == false)
        let lenient = try runTollgate(["consistency", "--source", database, "--target", database, "--table", "users", "--target-table", "users_copy",
                                       "--map", "email=mail", "--threshold", "0.1"])
        #expect(lenient.status == 0, "\(lenient.out)")
        let missing = try runTollgate(["consistency", "--source", database, "--target", database, "--table", "nope"])
        #expect(missing.status == 2 && missing.err.contains("no table public.nope"), "\(missing.err)")
        #expect(!missing.err.contains("password"))
    }
}
