import Foundation
import ReferenceServices
import TestSupport
import Testing
import TransportHTTP

/// One gate at a time moves a gateway's rollout, and Ctrl-C is honoured in every phase.
@Suite struct GateLeaseTests {
    static let client = HTTPClientPool()

    static func call(_ method: String, _ url: String, _ body: [String: Any]? = nil, token: String, lease: String? = nil) async throws -> (status: Int, json: [String: Any]) {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")]
        if let lease { headers.append(("X-Rollout-Lease", lease)) }
        let reply = try await client.send(HTTPClientRequest(method: method, url: url, headers: headers,
                                                                          body: body.map { Array(try! JSONSerialization.data(withJSONObject: $0)) } ?? []))
        return (reply.status, (try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]) ?? [:])
    }

    @Test func aSecondHolderIsRefusedAndToldWhoHoldsTheRollout() async throws {
        try await withStack({ c in c.rolloutPercent = 10 }) { stack in
            let admin = stack.adminToken, base = stack.gatewayURL
            let first = try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "gate A", "ttl_s": 60], token: admin)
            #expect(first.status == 201)
            let lease = try #require(first.json["id"] as? String)
            let second = try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "gate B", "ttl_s": 60], token: admin)
            #expect(second.status == 409 && "\(second.json)".contains("held by gate A"), "\(second)")
            let unleased = try await Self.call("PUT", base + "/admin/rollout", ["percent": 50], token: admin)
            #expect(unleased.status == 409, "a change without the lease is refused while it is held")
            #expect(try await Self.call("PUT", base + "/admin/rollout", ["percent": 50], token: admin, lease: lease).status == 200)
            let view = try await Self.call("GET", base + "/admin/rollout", token: admin)
            #expect((view.json["lease"] as? [String: Any])?["holder"] as? String == "gate A" && view.json["percent"] as? Int == 50)
            #expect(!"\(view.json)".contains(lease), "the lease id is never shown")
            #expect(try await Self.call("DELETE", base + "/admin/rollout/lease/\(lease)", token: admin).status == 200)
            #expect(try await Self.call("PUT", base + "/admin/rollout", ["percent": 25], token: admin).status == 200)
            // A lease runs out by itself: a gate that died does not block the next for long.
            #expect(try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "gate C", "ttl_s": 1], token: admin).status == 201)
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "gate D", "ttl_s": 60], token: admin).status == 201)
            #expect(try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "", "ttl_s": 60], token: admin).status == 422)
            #expect(try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "x", "ttl_s": 1_000_000], token: admin).status == 422)
            // Other gates print the holder: terminal escapes are refused.
            #expect(try await Self.call("POST", base + "/admin/rollout/lease", ["holder": "gate \u{1B}[2J\u{1B}[31mE", "ttl_s": 60], token: admin).status == 422)
        }
    }

    @Test func aGateDoesNotFightAnotherForTheRollout() async throws {
        let folder = try temporaryFolder("gate-lease")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in c.rolloutPercent = 10 }) { stack in
            let held = try await Self.call("POST", stack.gatewayURL + "/admin/rollout/lease", ["holder": "gate storefront stage 50 (runner-7)", "ttl_s": 120],
                                           token: stack.adminToken)
            #expect(held.status == 201)
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: [])
            let result = try await runTollgate(["gate", file, "--stage", "25", "--duration", "1s", "--json", folder.appendingPathComponent("g.json").path])
            // Another gate's turn: a pause (exit 4), nothing moved, the holder named.
            #expect(result.status == 4, "\(result.out)\(result.err)")
            #expect((result.out + result.err).contains("another gate is running") && (result.out + result.err).contains("gate storefront stage 50 (runner-7)"), "\(result.err)")
            #expect(await stack.rollout.percent == 10, "the rollout stays where the holder put it")
        }
    }

    /// Ctrl-C while the contracts wait on a provider that never answers: the gate stops within
    /// seconds, puts the rollout back and writes its report.
    @Test(arguments: [1, 2]) func ctrlCDuringTheContractsIsHonouredWithinSeconds(signals: Int) async throws {
        let folder = try temporaryFolder("gate-ctrl-c")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await HostileProviderTests().withHostileProvider { slow, _ in
            try await withStack({ c in c.rolloutPercent = 10 }) { stack in
                let pact = folder.appendingPathComponent("slow.json")
                try #"{"consumer": {"name": "c"}, "provider": {"name": "slow-provider"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [{"description": "slow", "request": {"method": "GET", "path": "/slow"}, "response": {"status": 200}}, {"description": "slow again", "request": {"method": "GET", "path": "/slow"}, "response": {"status": 200}}]}"#
                    .write(to: pact, atomically: true, encoding: .utf8)
                let file = folder.appendingPathComponent("gate.yaml")
                try """
                    name: interrupted
                    gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                    contracts: {pacts: ["\(pact.path)"], providers: {slow-provider: "\(slow)"}}
                    stages: {25: "\(packageRoot.path)/loadprofiles/stage-25.yaml"}
                    """.write(to: file, atomically: true, encoding: .utf8)
                let report = folder.appendingPathComponent("g.json")
                let gate = try ChildProcess(tollgateBinary.path, ["gate", file.path, "--stage", "25", "--json", report.path], directory: packageRoot.path)
                let progress = await gate.output(until: "Contracts", timeout: 30)
                #expect(progress.contains("Contracts"))
                #expect(await stack.rollout.percent == 25)
                try await Task.sleep(for: .milliseconds(500))
                let interrupted = Date()
                // Twice: the second signal exits at once, and still puts the rollout back and writes the report.
                for _ in 0..<signals { gate.send(SIGINT) }
                let ended = await gate.finish()
                #expect(Date().timeIntervalSince(interrupted) < 10, "the gate took \(Date().timeIntervalSince(interrupted)) s to stop")
                #expect(ended.code == 2 || (signals == 2 && ended.code == 130), "\(ended.out)\(ended.err)")
                #expect(await stack.rollout.percent == 10, "the rollout is back where it was")
                let json = try jsonObject(report)
                #expect(json["aborted"] as? Bool == true)
                let view = try await Self.call("GET", stack.gatewayURL + "/admin/rollout", token: stack.adminToken)
                #expect(view.json["lease"] is NSNull || view.json["lease"] == nil, "the lease is given back: \(view.json)")
            }
        }
    }
}
