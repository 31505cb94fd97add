import Foundation
import ReferenceServices
import Testing
import TestSupport
import TransportHTTP
import TransportPostgres

@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct ConsistencyCommandTests {
    @Test func differencesAboveTheThresholdExitOneWithExamplesAndAReport() async throws {
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
        let result = try await runTollgate(["consistency", "--source", database, "--target", database, "--table", "users", "--target-table", "users_copy",
                                      "--map", "email=mail", "--batch", "300", "--json", report.path])
        #expect(result.status == 1, "\(result.out)\(result.err)")
        #expect(result.out.contains("2000 vs 1999 rows, 0.0500 % inconsistent (threshold 0.0100 %)"), "\(result.out)")
        #expect(result.out.contains("missing in target 1 (e.g. 1500)"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["schema_version"] as? String == "tollgate.consistency/v1" && json["passed"] as? Bool == false)
        let lenient = try await runTollgate(["consistency", "--source", database, "--target", database, "--table", "users", "--target-table", "users_copy",
                                       "--map", "email=mail", "--threshold", "0.1"])
        #expect(lenient.status == 0, "\(lenient.out)")
        let missing = try await runTollgate(["consistency", "--source", database, "--target", database, "--table", "nope"])
        #expect(missing.status == 2 && missing.err.contains("no table public.nope"), "\(missing.err)")
        #expect(!missing.err.contains("password"))
    }
}

/// `tollgate consistency` through the services' export endpoints (in-memory stores, no database).
@Suite struct ExportConsistencyCommandTests {
    @Test func exportsAreComparedRowByRowWithOnePageRequestPerSide() async throws {
        try await withStack({ c in c.rolloutPercent = 100 }) { stack in
            let client = HTTPClientPool()
            @Sendable func call(_ method: String, _ url: String, _ body: [String: Any], token: String? = nil) async throws -> [String: Any] {
                var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                let reply = try await client.send(HTTPClientRequest(method: method, url: url, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: body))))
                return (try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]) ?? [:]
            }
            let monolith = try #require(stack.url("monolith"))
            // Two customers through the gateway: the services write them and dual-write them.
            for name in ["kept", "edited"] {
                _ = try await call("POST", stack.gatewayURL + "/api/v1/users/register",
                                   ["email": "\(name)@example.com", "password": "password123", "first_name": "E", "last_name": name])
            }
            // One the monolith alone has, and one it changed behind the services' back.
            _ = try await call("POST", monolith + "/api/v1/users/register", ["email": "legacy@example.com", "password": "password123", "first_name": "L", "last_name": "only"])
            let login = try await call("POST", monolith + "/api/v1/users/login", ["email": "edited@example.com", "password": "password123"])
            _ = try await call("PUT", monolith + "/api/v1/users/profile", ["last_name": "renamed"], token: try #require(login["token"] as? String))

            let metrics = monolith + "/metrics"
            func exportRequests() async throws -> Int {
                let text = try await client.send(HTTPClientRequest(url: metrics)).bodyText
                return text.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") && $0.contains(#"route="/admin/export/users""#) }
                    .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
            }
            let before = try await exportRequests()
            let folder = try temporaryFolder("export-consistency")
            defer { try? FileManager.default.removeItem(at: folder) }
            let report = folder.appendingPathComponent("c.json")
            let result = try await runTollgate(["consistency", "--source", try #require(stack.url("user-service")) + "/admin/export/users",
                                                     "--target", monolith + "/admin/export/users", "--columns", "email,last_name",
                                                     "--target-may-have-more", "--token", stack.adminToken, "--recheck-after", "200ms", "--rechecks", "1",
                                                     "--json", report.path])
            #expect(result.status == 1, "\(result.out)\(result.err)")
            let comparison = try #require((try jsonObject(report)["comparisons"] as? [[String: Any]])?.first)
            #expect(comparison["source_rows"] as? Int == 3 && comparison["target_rows"] as? Int == 4, "\(comparison)")
            #expect(comparison["missing_in_source"] as? Int == 1 && comparison["missing_in_target"] as? Int == 0 && comparison["differing"] as? Int == 1)
            #expect(result.out.contains(": last_name: edited ≠ renamed"), "a differing row shows its values: \(result.out)")
            // A small table is one page a side (the first page also tells how keys sort), then one re-check
            // of the mismatched keys and one read of the differing example's values.
            #expect(try await exportRequests() - before == 3)
            #expect(comparison["first_pass"] as? [String: Int] == ["missing_in_target": 0, "missing_in_source": 1, "differing": 1])
            #expect(comparison["recheck_rounds"] as? Int == 1)
        }
    }
}

/// Exports that live traffic keeps writing: a row in flight is not a lost row.
@Suite struct LiveExportConsistencyTests {
    @Test func rowsInFlightAreNotCountedAndALostRowIsFoundExactly() async throws {
        let port = freePort()
        let server = try ChildProcess("/usr/bin/python3", [packageRoot.appendingPathComponent("Tests/TollgateCLITests/Fixtures/live-export.py").path, "\(port)"],
                                      captureOutput: false, captureError: false)
        defer {
            server.send(SIGTERM)
            server.wait()
        }
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) }, "the export server listens")
        let base = "http://127.0.0.1:\(port)/admin/export/"
        let folder = try temporaryFolder("live-export")
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("c.json")
        let result = try await runTollgate(["consistency", "--source", base + "source", "--target", base + "target", "--token", "t",
                                                 "--batch", "200", "--recheck-after", "1s", "--threshold", "0", "--json", report.path])
        #expect(result.status == 1, "the lost row is over a threshold of 0: \(result.out)\(result.err)")
        let comparison = try #require((try jsonObject(report)["comparisons"] as? [[String: Any]])?.first)
        #expect(comparison["missing_in_target"] as? Int == 1 && comparison["differing"] as? Int == 0 && comparison["missing_in_source"] as? Int == 0, "\(comparison)")
        #expect((comparison["examples"] as? [String: Any])?["missing_in_target"] as? [String] == ["lost-1"])
        #expect(((comparison["first_pass"] as? [String: Int])?.values.reduce(0, +) ?? 0) >= 1)
        #expect(result.out.contains("first pass"), "\(result.out)")
    }
}
