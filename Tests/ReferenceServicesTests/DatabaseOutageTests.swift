import Foundation
import ReferenceServices
import TestSupport
import Testing

/// A private PostgreSQL server (not the suite's shared one) taken away under load and brought back.
@Suite(.enabled(if: StoreKind.databaseURL != nil, "needs PostgreSQL from scripts/test-postgres (make test starts it)"))
struct DatabaseOutageTests {
    let port = freePort()
    var directory: String { "/tmp/tollgate-outage-pg-\(port)" }

    @discardableResult
    func postgres(_ verb: String) async throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/test-postgres").path
        let child = try ChildProcess("/usr/bin/env", ["TOLLGATE_TEST_PG_PORT=\(port)", "TOLLGATE_TEST_PG_DIR=\(directory)", script, verb])
        let status = await child.finish()
        guard status.code == 0, !status.signalled else { throw ChildProcess.SpawnError(description: "test-postgres \(verb): \(status.err)") }
        return status.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func requestsAnswerWhileTheDatabaseIsAwayAndTheServiceRecovers() async throws {
        let url = try await postgres("start")
        do {
            try await outage(url)
        } catch {
            _ = try? await postgres("stop")
            throw error
        }
        try await postgres("stop")
    }

    func outage(_ url: String) async throws {
        try await TestStack.with(.memory, configure: { $0.databaseURL = url }) { t in
            #expect(try await t.call("GET", "/api/v1/products/1").status == 200)
            try await postgres("pause")
            // Thirty concurrent requests with the database gone: each answers, with a 503, in time.
            let outcomes = try await withThrowingTaskGroup(of: (Int, Double).self) { group in
                for i in 0..<30 {
                    group.addTask {
                        let began = Date()
                        let reply = try await t.call("GET", "/api/v1/products/\(1 + i % 5)")
                        return (reply.status, Date().timeIntervalSince(began))
                    }
                }
                return try await group.reduce(into: [(Int, Double)]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0.0 == 503 }, "\(outcomes.map(\.0))")
            #expect(outcomes.allSatisfy { $0.1 < 20 }, "slowest: \(outcomes.map(\.1).max() ?? 0) s (the pool waits at most 5 s)")
            let body = try await t.call("GET", "/api/v1/products/1")
            #expect(body.errorCode == "database_unavailable")
            #expect(try await t.call("GET", "/ready", base: t.url("catalog-service")).status == 503)
            try await postgres("resume")
            let recovered = try await eventually(timeout: 10) { try await t.call("GET", "/api/v1/products/1").status == 200 }
            #expect(recovered, "the catalog is back without a restart")
            let (_, token) = try await t.customer("after-outage")
            #expect(try await t.order(token, items: [(2, 1)]).status == 201)
        }
    }
}
