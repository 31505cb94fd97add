import Foundation
import ReferenceServices
import Testing
import TransportPostgres

/// The legacy monolith behind the gateway's rollout, and the services' dual writes into it.
@Suite struct MonolithTests {
    /// The monolith's export of `table`, keyed by id.
    static func exported(_ t: TestStack, _ table: String, from service: String) async throws -> [String: [String: Any]] {
        let reply = try await t.call("GET", "/admin/export/\(table)?limit=5000", token: t.stack.adminToken, base: t.url(service))
        #expect(reply.status == 200)
        let rows = reply.json["rows"] as? [[String: Any]] ?? []
        return Dictionary(rows.compactMap { row in (row["id"] as? String).map { ($0, row) } }, uniquingKeysWith: { a, _ in a })
    }

    @Test(arguments: StoreKind.available)
    func theMonolithSellsSynchronouslyAndPublishesNoEvents(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.rolloutPercent = 0 }) { t in
            let (_, token) = try await t.customer("legacy")
            let placed = try await t.order(token, items: [(3, 1)])
            #expect(placed.status == 201 && placed.header("X-Routed-To") == "legacy", "\(placed.status) \(String(decoding: placed.body, as: UTF8.self))")
            #expect(placed.json["status"] as? String == "confirmed" && (placed.json["payment_id"] as? String)?.hasPrefix("pay_") == true)
            let orderID = try #require(placed.json["id"] as? String)
            let events = try await t.events(for: orderID, until: ["order.created"], timeout: 3)
            #expect(events.isEmpty, "the monolith has no broker: \(events.map(\.type))")
            // The services never saw the order; the monolith's export has it.
            #expect(try await Self.exported(t, "orders", from: "order-service")[orderID] == nil)
            #expect(try await Self.exported(t, "orders", from: "monolith")[orderID]?["status"] as? String == "confirmed")
        }
    }

    @Test(arguments: StoreKind.available)
    func theServicesDualWriteUsersAndOrdersIntoTheMonolith(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.rolloutPercent = 100 }) { t in
            let (userID, token) = try await t.customer("modern")
            let placed = try await t.order(token, items: [(4, 1)])
            #expect(placed.status == 201 && placed.header("X-Routed-To") == "services")
            let orderID = try #require(placed.json["id"] as? String)
            #expect(try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token).status == 200)
            #expect(try await Self.exported(t, "users", from: "monolith")[userID]?["last_name"] as? String == "modern")
            #expect(try await Self.exported(t, "orders", from: "monolith")[orderID]?["status"] as? String == "cancelled", "the cancellation too")
            #expect(t.stack.dualWriter?.counts.failed == 0)
            if kind == .postgres, let base = t.stack.configuration.databaseURL, var url = URLComponents(string: base) {
                // On PostgreSQL the monolith is one database, a schema per former module.
                url.path = url.path + "_monolith"
                let connection = try PostgresConnection(url: url.string!)
                let rows = try connection.query("SELECT status FROM orders.orders WHERE id = $1", [orderID])
                #expect(rows.first?["status"] == "cancelled")
                #expect(try connection.query("SELECT 1 AS found FROM users.users WHERE id = $1", [userID]).count == 1)
            }
        }
    }

    /// The guide's roll back loses nothing. An order paid through the services at 100 % is
    /// cancelled after the roll back to 0 %: the monolith refunds it (it answered 502
    /// refund_failed, knowing no payment the services made). A rename made on the monolith at
    /// 0 % survives a phone change made through the services at 100 % (a whole-row dual write
    /// put the old name back).
    @Test(arguments: StoreKind.available)
    func aRollBackLosesNothingTheOtherSideBegan(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.rolloutPercent = 100 }) { t in
            let admin = t.stack.adminToken
            let (userID, token) = try await t.customer("both-sides")
            let placed = try await t.order(token, items: [(5, 1)])
            #expect(placed.status == 201 && placed.header("X-Routed-To") == "services", "\(placed.status)")
            let orderID = try #require(placed.json["id"] as? String)
            #expect(try await t.call("PUT", "/admin/rollout", json: ["percent": 0], token: admin).status == 200)
            let cancelled = try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token)
            #expect(cancelled.status == 200 && cancelled.header("X-Routed-To") == "legacy", "\(cancelled.status) \(String(decoding: cancelled.body, as: UTF8.self))")
            #expect(cancelled.json["status"] as? String == "cancelled")

            let renamed = try await t.call("PUT", "/api/v1/users/profile", json: ["first_name": "Renamed"], token: token)
            #expect(renamed.status == 200 && renamed.header("X-Routed-To") == "legacy", "\(renamed.status) \(String(decoding: renamed.body, as: UTF8.self))")
            #expect(try await t.call("PUT", "/admin/rollout", json: ["percent": 100], token: admin).status == 200)
            let phoned = try await t.call("PUT", "/api/v1/users/profile", json: ["phone": "+15550100"], token: token)
            #expect(phoned.status == 200 && phoned.header("X-Routed-To") == "services", "\(phoned.status) \(String(decoding: phoned.body, as: UTF8.self))")
            let legacyUser = try #require(try await Self.exported(t, "users", from: "monolith")[userID])
            #expect(legacyUser["first_name"] as? String == "Renamed", "the monolith's rename survives: \(legacyUser)")
            #expect(t.stack.dualWriter?.counts.failed == 0)
        }
    }

    /// At 0 % the monolith serves: after a backfill has copied its customer and order to the
    /// services, a cancellation and a rename made on the legacy side are the newer writes, and a
    /// second backfill keeps them on both sides instead of reverting them.
    @Test(arguments: StoreKind.available)
    func theBackfillKeepsTheNewerWriteInBothDirections(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.rolloutPercent = 0 }) { t in
            let (userID, token) = try await t.customer("owner")
            let placed = try await t.order(token, items: [(6, 1)])
            let orderID = try #require(placed.json["id"] as? String)
            #expect(placed.json["status"] as? String == "confirmed" && placed.header("X-Routed-To") == "legacy")
            #expect(try await t.call("POST", "/admin/backfill", token: t.stack.adminToken).status == 200)
            #expect(try await Self.exported(t, "orders", from: "order-service")[orderID]?["status"] as? String == "confirmed", "copied to the services")
            let cancelled = try await t.call("DELETE", "/api/v1/orders/\(orderID)", token: token)
            #expect(cancelled.status == 200 && cancelled.header("X-Routed-To") == "legacy", "\(cancelled.status) \(String(decoding: cancelled.body, as: UTF8.self))")
            let renamed = try await t.call("PUT", "/api/v1/users/profile", json: ["last_name": "renamed"], token: token)
            #expect(renamed.status == 200 && renamed.header("X-Routed-To") == "legacy", "\(renamed.status)")
            #expect(try await t.call("POST", "/admin/backfill", token: t.stack.adminToken).status == 200)
            for service in ["monolith", "order-service"] {
                #expect(try await Self.exported(t, "orders", from: service)[orderID]?["status"] as? String == "cancelled", "\(service)")
            }
            for service in ["monolith", "user-service"] {
                #expect(try await Self.exported(t, "users", from: service)[userID]?["last_name"] as? String == "renamed", "\(service)")
            }
            // A third backfill finds nothing left to copy.
            let again = try await t.call("POST", "/admin/backfill", token: t.stack.adminToken)
            #expect((again.json.values.compactMap { $0 as? Int }).reduce(0, +) == 0, "\(again.json)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aUserOfTheMonolithCanBuyFromTheServices(kind: StoreKind) async throws {
        try await TestStack.with(kind, configure: { $0.rolloutPercent = 0 }) { t in
            let (userID, _) = try await t.customer("migrating")
            #expect(try await Self.exported(t, "users", from: "user-service")[userID] == nil, "registered on the monolith only")
            _ = try await t.call("PUT", "/admin/rollout", json: ["percent": 100], token: t.stack.adminToken)
            let email = try #require(try await Self.exported(t, "users", from: "monolith")[userID]?["email"] as? String)
            let login = try await t.call("POST", "/api/v1/users/login", json: ["email": email, "password": "correct-horse"])
            #expect(login.status == 200 && login.header("X-Routed-To") == "services")
            let placed = try await t.order(try #require(login.json["token"] as? String), items: [(5, 1)])
            #expect(placed.status == 201 && placed.header("X-Routed-To") == "services", "\(String(decoding: placed.body, as: UTF8.self))")
            #expect(try await Self.exported(t, "users", from: "user-service")[userID] != nil, "imported on first read")
        }
    }

    @Test func aSmallDropShareStillLosesTheFirstDualWriteAndThenSpreadsEvenly() async throws {
        // 0.1 % as the migration guide writes it: the 1st write is dropped, the next 999 are not.
        let share = try #require(Breakage(spec: "dual-write-drop=0.1%"))
        #expect(share == .dualWriteDrop(share: 0.001))
        #expect(Breakage(spec: "dual-write-drop=150%") == nil && Breakage(spec: "dual-write-drop=-0.1") == nil && Breakage(spec: "dual-write-drop=nan") == nil)
        try await TestStack.with(.memory, configure: { $0.rolloutPercent = 100; $0.breakages = [share] }) { t in
            var ids: [String] = []
            for name in ["first", "second", "third"] { ids.append(try await t.customer(name).id) }
            let monolithUsers = try await Self.exported(t, "users", from: "monolith")
            #expect(monolithUsers[ids[0]] == nil, "the first dual write was dropped")
            #expect(monolithUsers[ids[1]] != nil && monolithUsers[ids[2]] != nil)
            #expect(t.stack.dualWriter?.counts.dropped == 1)
            let metrics = String(decoding: try await t.call("GET", "/metrics", base: t.url("monolith")).body, as: UTF8.self)
            #expect(metrics.contains("dual_writes_total{outcome=\"dropped\"} 1\n") && metrics.contains("dual_writes_total{outcome=\"written\"} 2\n"), "\(metrics.suffix(300))")
        }
    }
}
