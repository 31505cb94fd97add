import Foundation
import ReferenceServices
import TestSupport
import Testing

/// `tollgate flow` against the reference services, events read back from their embedded broker.
@Suite(.serialized) struct FlowCommandTests {
    static func flow(_ stack: ServiceStack, _ files: [String], _ extra: [String] = []) async throws -> (status: Int32, out: String, err: String) {
        try await runTollgate(["flow"] + files + ["--target", stack.gatewayURL, "--kafka-brokers", stack.kafkaBootstrap] + extra)
    }

    @Test func everyShippedFlowPassesWithItsEvents() async throws {
        let folder = try temporaryFolder("flows")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServices { stack in
            let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("flows").path)
                .filter { $0.hasSuffix(".yaml") }.sorted().map { "flows/\($0)" }
            #expect(files.count == 5)
            let result = try await Self.flow(stack, files, ["--json", folder.appendingPathComponent("flows.json").path,
                                                            "--junit", folder.appendingPathComponent("flows.xml").path])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            #expect(result.out.contains("✓ 5 flow run(s) passed"))
            for event in ["order.created", "inventory.reserved", "payment.completed", "order.confirmed", "payment.failed", "order.cancelled", "payment.refunded"] {
                #expect(result.out.contains("✓ \(event)"), "\(event)")
            }
            let json = try jsonObject(folder.appendingPathComponent("flows.json"))
            #expect(json["schema_version"] as? String == "tollgate.flow/v1" && json["passed"] as? Bool == true)
            let junit = try String(contentsOf: folder.appendingPathComponent("flows.xml"), encoding: .utf8)
            #expect(junit.contains(#"failures="0""#) && junit.contains(#"name="stock decreased""#))
        }
    }

    @Test func aRunTheMonolithServedExpectsNoEvents() async throws {
        let folder = try temporaryFolder("flows-legacy")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Rollout 0 %: the gateway sends everything to the monolith, which publishes no events.
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 0 }) { stack in
            let report = folder.appendingPathComponent("flow.json")
            let result = try await Self.flow(stack, ["flows/purchase.yaml"], ["--json", report.path, "--report-dir", folder.path])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            let run = try #require((try jsonObject(report)["runs"] as? [[String: Any]])?.first)
            let steps = try #require(run["steps"] as? [[String: Any]])
            let events = steps.filter { $0["kind"] as? String == "event" }
            #expect(events.count == 4)
            for event in events {
                #expect(event["status"] as? String == "skipped" && (event["note"] as? String ?? "").contains("X-Routed-To: legacy"), "\(event)")
            }
            #expect(steps.filter { $0["kind"] as? String == "request" }.allSatisfy { $0["status"] as? String == "passed" })
        }
    }

    @Test func aBrokenServiceFailsTheStepThatSeesIt() async throws {
        try await withServices(breakages: [.renameField(service: "catalog-service", from: "stock_quantity", to: "stock")]) { stack in
            let result = try await Self.flow(stack, ["flows/purchase.yaml"], ["--report-dir", NSTemporaryDirectory()])
            #expect(result.status == 1)
            #expect(result.out.contains("✗ get product"), "\(result.out)")
            #expect(result.out.contains("check '$.stock_quantity is above 0' failed"), "\(result.out)")
            #expect(result.out.contains("- place order") && result.out.contains("skipped"), "later steps are skipped")
            #expect(result.out.contains("\"stock\":"), "the response is shown")
        }
    }

    @Test func anEventThatNeverComesFailsWithWhatWasSeen() async throws {
        try await withServices(breakages: [.dropEventField(event: "payment.completed", field: "order_id")]) { stack in
            let result = try await Self.flow(stack, ["flows/purchase.yaml"], ["--report-dir", NSTemporaryDirectory()])
            #expect(result.status == 1, "\(result.out)")
            #expect(result.out.contains("✓ inventory.reserved"))
            #expect(result.out.contains("✗ payment.completed"), "\(result.out)")
            #expect(result.out.contains("no event on payment.completed with $.payload.order_id = "), "\(result.out)")
            #expect(result.out.contains("within 5s (1 event(s) seen on the topic)"), "\(result.out)")
        }
    }

    @Test func aBrokenFlowFileIsRefusedWithItsLine() async throws {
        let folder = try temporaryFolder("bad-flow")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.yaml")
        try "steps:\n  - path: /a/${missing}\n  - expect_event:\n      topic: orders created\n      within: never\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try await runTollgate(["flow", file.path, "--target", "http://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(result.err.contains("bad.yaml:2: steps[0]: '${missing}' is not captured"), "\(result.err)")
        #expect(result.err.contains("bad.yaml:4: steps[1].expect_event.topic: 'orders created' is not a Kafka topic name"), "\(result.err)")
        #expect(result.err.contains("bad.yaml:5: steps[1].expect_event.within: expected a duration"), "\(result.err)")
    }
}
