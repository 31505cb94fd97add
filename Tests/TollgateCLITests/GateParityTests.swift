import Foundation
import ReferenceServices
import TestSupport
import TransportHTTP
import Testing

/// Response parity in the gate: the monolith (old path) against the catalog service (new path).
struct GateParityTests {
    @Test func aRenamedFieldOnTheNewPathPausesTheStage() async throws {
        let folder = try temporaryFolder("gate-parity")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in
            c.seedProducts = 60
            c.breakages = [.renameField(service: "catalog-service", from: "name", to: "title")]
        }) { stack in
            let profile = folder.appendingPathComponent("reads.yaml")
            try """
                name: reads
                scenarios:
                  readers:
                    executor: constant-arrival-rate
                    rate: 10
                    duration: 2s
                    steps:
                      - {name: get product, path: "/api/v1/products/${random_int(1,50)}", check: {status: 200}}
                """.write(to: profile, atomically: true, encoding: .utf8)
            let gate = folder.appendingPathComponent("gate.yaml")
            try """
                name: parity-gate
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {25: reads.yaml}
                slos: [error_rate<=1%:rollback]
                parity:
                  baseline: "\(stack.url("monolith")!)"
                  candidate: "\(stack.url("catalog-service")!)"
                  requests: [reads.yaml]
                  repeat: 10
                  ignore: [$.created_at, $.updated_at]
                """.write(to: gate, atomically: true, encoding: .utf8)
            let result = try await GateCommandTests.gate(gate.path, folder, duration: "2s")
            #expect(result.status == 4, "\(result.out)\(result.err)")
            let trigger = try #require(GateCommandTests.trigger(result.json, "response parity"), "\(result.json["triggers"] ?? "")")
            #expect(trigger["breached"] as? Bool == true && trigger["action"] as? String == "pause" && trigger["value"] as? Double == 100, "\(trigger)")
            #expect((trigger["evidence"] as? String ?? "").contains("$.name"), "\(trigger)")
            let parity = try #require(result.json["parity"] as? [String: Any])
            let endpoints = try #require(parity["endpoints"] as? [[String: Any]])
            let paths = Set((endpoints.first?["differences"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String })
            #expect(paths == ["$.name", "$.title"], "the rename at its old and new path, nothing else: \(paths)")
        }
    }
}

/// One provider name, two implementations, each verified and reported apart.
struct GateContractImplementationTests {
    @Test func theNewImplementationFailsApartFromTheOldOne() async throws {
        let folder = try temporaryFolder("gate-implementations")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pact = packageRoot.appendingPathComponent("contracts/pact-python/python-storefront-catalog-service.json").path
        // The old implementation: the pact's own stub answers as the consumer expects.
        let port = freePort()
        let stub = try ChildProcess(tollgateBinary.path, ["stub", pact, "--port", "\(port)"], captureOutput: false, captureError: false)
        defer {
            stub.send(SIGTERM)
            stub.wait()
        }
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) })
        try await withStack({ c in
            c.seedProducts = 60
            c.providerStates = true
            c.breakages = [.renameField(service: "catalog-service", from: "name", to: "title")]
        }) { stack in
            try """
                name: reads
                scenarios:
                  readers: {executor: constant-arrival-rate, rate: 5, duration: 1s, steps: [{name: read, path: /api/v1/products/1}]}
                """.write(to: folder.appendingPathComponent("reads.yaml"), atomically: true, encoding: .utf8)
            let gate = folder.appendingPathComponent("gate.yaml")
            try """
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {25: reads.yaml}
                slos: []
                contracts:
                  pacts: ["\(pact)"]
                  providers:
                    catalog-service:
                      - {label: old, url: "http://127.0.0.1:\(port)"}
                      - {label: new, url: "\(stack.url("catalog-service")!)", state_change_url: /_pact/provider-states, headers: {Authorization: "Bearer ${credential}"}}
                """.write(to: gate, atomically: true, encoding: .utf8)
            let result = try await GateCommandTests.gate(gate.path, folder, duration: "1s")
            #expect(result.status == 5, "\(result.out)\(result.err)")
            let trigger = try #require(GateCommandTests.trigger(result.json, "contract failures"))
            let evidence = trigger["evidence"] as? String ?? ""
            #expect(evidence.contains("catalog-service (new)") && !evidence.contains("catalog-service (old)"), "\(evidence)")
            #expect(evidence.contains("provider states were written into the live catalog-service (new)"), "\(evidence)")
            // The stub has no state URL: said once, not per interaction.
            #expect(result.err.contains("catalog-service (old) ← python-storefront: 2 interaction(s) name provider states")
                        && result.err.contains("the gate file gives it no state_change_url"), "\(result.err)")
            let pacts = ((result.json["contracts"] as? [String: Any])?["pacts"] as? [[String: Any]]) ?? []
            let providers = Set(pacts.compactMap { $0["provider"] as? String })
            #expect(providers == ["catalog-service (old)", "catalog-service (new)"], "\(providers)")
        }
    }
}

/// The gateway's live parity: a sample of GETs sent again to both sides, counted.
struct GatewayMirrorTests {
    static let client = HTTPClientPool()

    /// `gateway_parity_total` by result, once `expected` comparisons are counted.
    private func parity(_ stack: ServiceStack, expected: Int) async throws -> [String: Double] {
        var counts: [String: Double] = [:]
        _ = await eventually(timeout: 10) {
            // libcurl, not URLSession: FoundationNetworking's task registry crashes now and then on Linux.
            guard let response = try? await Self.client.send(HTTPClientRequest(url: stack.gatewayURL + "/metrics")) else { return false }
            counts = [:]
            for line in response.bodyText.split(separator: "\n") where line.hasPrefix("gateway_parity_total{") {
                guard let result = line.firstMatch(of: /result="([a-z]+)"/)?.1, let value = Double(line.split(separator: " ").last ?? "") else { continue }
                counts[String(result), default: 0] += value
            }
            return counts.values.reduce(0, +) >= Double(expected)
        }
        return counts
    }

    private func browse(_ stack: ServiceStack) async {
        for n in 1...20 {
            _ = try? await Self.client.send(HTTPClientRequest(url: "\(stack.gatewayURL)/api/v1/products/\(n)", headers: [("X-Forwarded-For", "198.18.0.\(n)")]))
        }
    }

    @Test func aRenamedFieldIsCountedDifferentAndTheSameCodeIsNot() async throws {
        func configure(_ c: inout StackConfiguration) {
            c.seedProducts = 30
            c.rolloutPercent = 50
            c.trustedProxies = TrustedProxies(parsing: "127.0.0.1")!
            c.mirrorPercent = 100
            // Each side seeded its rows a moment apart.
            c.mirrorIgnored = ["$.created_at", "$.updated_at"]
        }
        try await withStack({ c in configure(&c) }) { stack in
            await browse(stack)
            let counts = try await parity(stack, expected: 20)
            #expect(counts["different", default: 0] == 0 && counts["same", default: 0] + counts["noise", default: 0] == 20, "\(counts)")
        }
        try await withStack({ c in
            configure(&c)
            c.breakages = [.renameField(service: "catalog-service", from: "name", to: "title")]
        }) { stack in
            await browse(stack)
            let counts = try await parity(stack, expected: 20)
            #expect(counts["different", default: 0] == 20, "every product read differs between the sides: \(counts)")
        }
    }
}
