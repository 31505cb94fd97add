import ContractCore
import Foundation
import ReferenceServices
import ServerRuntime
import StubServer
import Synchronization
import TestSupport
import Testing
import TransportHTTP

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func loadPact(_ relative: String) throws -> (pact: Pact, source: String) {
    let path = packageRoot.appendingPathComponent(relative).path
    return (try Pact(contentsOf: URL(fileURLWithPath: path)), path)
}

func withStub(_ pacts: [(pact: Pact, source: String)], configure: (inout StubConfiguration) -> Void = { _ in },
              reload: (@Sendable () async throws -> [(pact: Pact, source: String)])? = nil,
              _ body: (StubServer, HTTPClientPool) async throws -> Void) async throws {
    var configuration = StubConfiguration()
    configuration.port = 0
    configure(&configuration)
    let stub = try await StubServer.start(pacts: pacts, configuration: configuration, reload: reload)
    do { try await body(stub, HTTPClientPool()) } catch {
        await stub.stop()
        throw error
    }
    await stub.stop()
}

func json(_ response: HTTPClientResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
}

let charge = #"{"amount": 1250, "currency": "eur", "payment_method": "pm_card_visa", "metadata": {"order_id": "o-9"}}"#

@Suite struct StubServerTests {
    @Test func consumerRequestsGetTheContractsResponsesWithFreshIDs() async throws {
        try await withStub([try loadPact("stubs/payment-provider.json")]) { stub, client in
            var ids = Set<String>()
            for _ in 0..<3 {
                let response = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/v1/payment_intents",
                                                                       headers: [("Content-Type", "application/json")], body: Array(charge.utf8)))
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "application/json")
                let body = json(response)
                #expect(body["status"] as? String == "succeeded")
                let id = try #require(body["id"] as? String)
                #expect(id.range(of: "^pi_[0-9a-f]{24}$", options: .regularExpression) != nil)
                ids.insert(id)
            }
            #expect(ids.count == 3, "generators give each response its own id")
            let declined = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/v1/payment_intents", headers: [("Content-Type", "application/json")],
                                                                   body: Array(charge.replacingOccurrences(of: "pm_card_visa", with: "pm_card_chargeDeclinedInsufficientFunds").utf8)))
            #expect(declined.status == 402)
            #expect((json(declined)["error"] as? [String: Any])?["decline_code"] as? String == "insufficient_funds")
        }
    }

    @Test func unmatchedRequestsNameTheClosestInteractionAndWhyEachFailed() async throws {
        try await withStub([try loadPact("stubs/payment-provider.json")], configure: { $0.unmatchedStatus = 404 }) { stub, client in
            let response = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/v1/payment_intents", headers: [("Content-Type", "application/json")],
                                                                   body: Array(charge.replacingOccurrences(of: "pm_card_visa", with: "pm_card_bogus").utf8)))
            #expect(response.status == 404)
            let body = json(response)
            #expect(body["error"] as? String == "no interaction matched the request")
            #expect(body["closest"] as? String == "charge with pm_card_visa succeeds")
            let candidates = try #require(body["candidates"] as? [[String: Any]])
            #expect(candidates.count == 5)
            let first = try #require(candidates.first?["mismatches"] as? [[String: Any]])
            #expect(first.map { $0["path"] as? String } == ["$.payment_method"])
            let wrongPath = try await client.send(HTTPClientRequest(url: stub.url + "/v2/nothing"))
            #expect(wrongPath.status == 404)
            #expect((json(wrongPath)["candidates"] as? [[String: Any]])?.allSatisfy { ($0["mismatches"] as? [[String: Any]])?.contains { $0["path"] as? String == "path" || $0["path"] as? String == "method" } == true } == true)
        }
    }

    static let stateful = #"""
    {"consumer": {"name": "web-app"}, "provider": {"name": "catalog-service"},
     "interactions": [
       {"type": "Synchronous/HTTP", "description": "product 7 in stock", "providerStates": [{"name": "product 7 is in stock"}],
        "request": {"method": "GET", "path": "/api/v1/products/7"},
        "response": {"status": 200, "body": {"content": {"id": 7, "stock": 12}, "contentType": "application/json"}}},
       {"type": "Synchronous/HTTP", "description": "product 7 sold out", "providerStates": [{"name": "product 7 is sold out"}],
        "request": {"method": "GET", "path": "/api/v1/products/7"},
        "response": {"status": 200, "body": {"content": {"id": 7, "stock": 0}, "contentType": "application/json"}}}],
     "metadata": {"pactSpecification": {"version": "4.0"}}}
    """#

    @Test func providerStatesChooseBetweenInteractions() async throws {
        let pact = (try Pact(json: Array(Self.stateful.utf8)), "inline")
        try await withStub([pact]) { stub, client in
            let first = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7"))
            #expect(json(first)["stock"] as? Int == 12, "first match without a state")
        }
        try await withStub([pact], configure: { $0.stateFilter = "sold out" }) { stub, client in
            let filtered = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7"))
            #expect(json(filtered)["stock"] as? Int == 0)
        }
        try await withStub([pact], configure: { $0.stateHeader = "X-Pact-State" }) { stub, client in
            let soldOut = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7", headers: [("X-Pact-State", "product 7 is sold out")]))
            #expect(json(soldOut)["stock"] as? Int == 0)
            let inStock = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7", headers: [("X-Pact-State", "product 7 is in stock")]))
            #expect(json(inStock)["stock"] as? Int == 12)
            // The header names a state; it is not a pattern: a part of a name selects nothing.
            let partial = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7", headers: [("X-Pact-State", "sold out")]))
            #expect(partial.status == 500)
        }
    }

    @Test func aStateHeaderIsNeverRunAsARegularExpression() async throws {
        let pact = (try Pact(json: Array(Self.stateful.utf8)), "inline")
        try await withStub([pact], configure: { $0.stateHeader = "X-Pact-State" }) { stub, client in
            // Were the value a pattern, `.*` would select both states (and a crafted one could
            // backtrack for seconds); as a name it selects none.
            for value in [".*", "product 7 is (sold out|in stock)", "^(([a-z0-9 ])+)+$(a|aa)+(a|aa)+(a|aa)+"] {
                let reply = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/7", headers: [("X-Pact-State", value)]))
                #expect(reply.status == 500, "'\(value)' selected an interaction")
            }
        }
    }

    @Test func anUnmatchedRequestExplainsOnlyTheClosestFew() async throws {
        let interactions = (0..<60).map { i in
            #"{"type": "Synchronous/HTTP", "description": "item \#(i)", "request": {"method": "GET", "path": "/items/\#(i)"}, "response": {"status": 200}}"#
        }.joined(separator: ",")
        let pact = (try Pact(json: Array(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [\#(interactions)], "metadata": {"pactSpecification": {"version": "4.0"}}}"#.utf8)), "inline")
        try await withStub([pact]) { stub, client in
            let reply = try await client.send(HTTPClientRequest(url: stub.url + "/nothing"))
            #expect(reply.status == 500)
            #expect((json(reply)["candidates"] as? [Any])?.count == 5)
            #expect(json(reply)["candidates_not_shown"] as? Int == 55)
            #expect(reply.body.count < 10_000, "\(reply.body.count) bytes")
        }
    }

    @Test func concurrentRequestsAreEachAnsweredCorrectly() async throws {
        try await withStub([try loadPact("stubs/payment-provider.json"), try loadPact("contracts/web-app-catalog-service.json")]) { stub, client in
            let results = try await withThrowingTaskGroup(of: (Bool, Int).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        if i.isMultiple(of: 2) {
                            let r = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/v1/payment_intents", headers: [("Content-Type", "application/json")],
                                                                            body: Array(charge.replacingOccurrences(of: "pm_card_visa", with: i.isMultiple(of: 4) ? "pm_card_visa" : "pm_card_chargeDeclined").utf8)))
                            return (true, r.status == (i.isMultiple(of: 4) ? 200 : 402) ? 1 : 0)
                        }
                        let r = try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/42", headers: [("Accept", "application/json")]))
                        return (false, r.status == 200 && json(r)["id"] as? Int == 42 ? 1 : 0)
                    }
                }
                return try await group.reduce(into: [(Bool, Int)]()) { $0.append($1) }
            }
            #expect(results.map(\.1).reduce(0, +) == 200)
            let seen = try await client.send(HTTPClientRequest(url: stub.url + "/__tollgate/requests"))
            #expect((json(seen)["requests"] as? [Any])?.count == 200)
            let listed = try await client.send(HTTPClientRequest(url: stub.url + "/__tollgate/interactions"))
            #expect((json(listed)["interactions"] as? [Any])?.count == 9)
        }
    }

    @Test func corsPreflightsAreAnsweredWhenAskedFor() async throws {
        try await withStub([try loadPact("stubs/email-provider.json")], configure: { $0.cors = true }) { stub, client in
            let preflight = try await client.send(HTTPClientRequest(method: "OPTIONS", url: stub.url + "/v3/mail/send",
                                                                    headers: [("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST"),
                                                                              ("Access-Control-Request-Headers", "authorization, content-type")]))
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(preflight.header("Access-Control-Allow-Headers") == "authorization, content-type")
            let refused = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/v3/mail/send", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)))
            #expect(refused.status == 401)
            #expect(refused.header("Access-Control-Allow-Origin") == "*")
        }
    }

    /// Serves `stateful` from a pact file in a folder of its own with `--watch` on; `body` gets
    /// the file and what the stub logged so far. The watcher polls once a second, but a suite
    /// that loads both cores has held it back for over 10 s: the tests wait up to a minute.
    static func withWatchedPact(_ body: (StubServer, HTTPClientPool, URL, @Sendable () -> [String]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stub-watch-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("p.json")
        try Data(stateful.utf8).write(to: file)
        let reload: @Sendable () async throws -> [(pact: Pact, source: String)] = { [(try Pact(contentsOf: file), file.path)] }
        let logged = Mutex<[String]>([])
        try await withStub(try await reload(), configure: { c in
            c.watch = true
            c.log = { line in logged.withLock { $0.append(line) } }
        }, reload: reload) { stub, client in
            try await body(stub, client, file, { logged.withLock { $0 } })
        }
    }

    /// `stateful` serving product 8 instead of 7.
    static let statefulForProduct8 = Data(stateful.replacingOccurrences(of: "products/7", with: "products/8").utf8)

    @Test func watchReloadsChangedPacts() async throws {
        try await Self.withWatchedPact { stub, client, file, _ in
            #expect(try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/8")).status == 500)
            try Self.statefulForProduct8.write(to: file)
            let reloaded = try await eventually(timeout: 60) {
                try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/8")).status == 200
            }
            #expect(reloaded, "the changed pact is served")
        }
    }

    /// A file caught half-written is read again until it parses, even when the finished file
    /// has the same modification time (an editor's two writes within one clock tick).
    @Test func watchRereadsAFileCaughtHalfWritten() async throws {
        try await Self.withWatchedPact { stub, client, file, logged in
            let finished = Self.statefulForProduct8
            let tick = Date(timeIntervalSince1970: 1_800_000_000)
            // Half of it, padded with spaces to the finished file's size.
            try (finished.prefix(finished.count / 2) + Data(repeating: UInt8(ascii: " "), count: finished.count - finished.count / 2)).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: tick], ofItemAtPath: file.path)
            let failed = await eventually(timeout: 60) { logged().contains { $0.hasPrefix("reload failed") } }
            #expect(failed, "the half-written file was read: \(logged())")
            // Finished within the same tick, and the same size: nothing the watcher polls has changed.
            try finished.write(to: file)
            try FileManager.default.setAttributes([.modificationDate: tick], ofItemAtPath: file.path)
            let reloaded = try await eventually(timeout: 60) {
                try await client.send(HTTPClientRequest(url: stub.url + "/api/v1/products/8")).status == 200
            }
            #expect(reloaded, "the finished pact is served: \(logged())")
            #expect(logged().count { $0.hasPrefix("reload failed") } == 1, "a failure is logged once: \(logged())")
        }
    }

    @Test func thePaymentServiceRunsAgainstThePaymentProviderStub() async throws {
        try await withStub([try loadPact("stubs/payment-provider.json")]) { stub, client in
            var c = StackConfiguration.ephemeral()
            let log = ServiceLog()
            c.log = LogDestination(log.append)
            c.providerURL = stub.url
            let stack = try await ServiceStack.start(c)
            #expect(stack.url("payment-provider") == nil, "no reference provider started")
            let base = stack.url("payment-service")!
            func pay(_ method: String, _ key: String) async throws -> HTTPClientResponse {
                try await client.send(HTTPClientRequest(method: "POST", url: base + "/api/v1/payments/process",
                                                        headers: [("Content-Type", "application/json"), ("Idempotency-Key", key),
                                                                  ("Authorization", "Bearer \(stack.serviceToken)")],
                                                        body: Array(#"{"order_id": "o-1", "amount": 59.97, "currency": "USD", "payment_method": "\#(method)"}"#.utf8)))
            }
            let paid = try await pay("pm_card_visa", "k1")
            #expect(paid.status == 201)
            #expect((json(paid)["provider_payment_id"] as? String)?.hasPrefix("pi_") == true)
            let declined = try await pay("pm_card_chargeDeclined", "k2")
            #expect(declined.status == 402)
            let paymentID = try #require(json(paid)["id"] as? String)
            let refund = try await client.send(HTTPClientRequest(method: "POST", url: base + "/api/v1/payments/\(paymentID)/refund",
                                                                 headers: [("Authorization", "Bearer \(stack.serviceToken)")]))
            #expect(refund.status == 200)
            #expect(json(refund)["status"] as? String == "refunded")
            await stack.stop()
        }
    }
}
