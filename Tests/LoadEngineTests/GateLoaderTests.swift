import Foundation
import LoadEngine
import SLO
import Testing

@Suite struct GateLoaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theShippedGateFileReadsWithItsDefaults() throws {
        let file = Self.root.appendingPathComponent("loadprofiles/gate.yaml").path
        let gate = try GateLoader.load(file: file, environment: [:])
        #expect(gate.gateway.url == "http://127.0.0.1:8000" && gate.gateway.adminToken == nil && gate.gateway.adminEmail == "admin@tollgate.local")
        #expect(gate.kafkaBrokers == nil)
        #expect(Set(gate.stages.keys) == [10, 25, 50, 75, 100])
        // Relative paths are resolved against the gate file, and exist.
        for path in gate.flows + Array(gate.stages.values) + (gate.contracts?.pacts ?? []) {
            #expect(FileManager.default.fileExists(atPath: path), "\(path)")
        }
        #expect(gate.contracts?.providers.map(\.name).contains("payment-provider") == true)
        #expect(gate.consistency.map(\.name) == ["users", "orders", "products"])
        #expect(gate.consistency[0].targetMayHaveMore && !gate.consistency[2].targetMayHaveMore)
        #expect(gate.objectives == Objective.rolloutDefaults)
        let provider = try #require(gate.metrics.first)
        #expect(provider.name == "payment provider failures" && provider.url == "http://127.0.0.1:3005/metrics" && provider.threshold == 0.1)
        #expect(provider.rate == CounterErrorRate(counter: "http_requests_total", labels: ["route": "/v1/payment_intents"], errorLabel: "status", errorPrefix: "5"))
        #expect(provider.action == .rollback)
        #expect(gate.inconsistencyThreshold == 0.01)
    }

    @Test func theEnvironmentFillsTheGateFile() throws {
        let file = Self.root.appendingPathComponent("loadprofiles/gate.yaml").path
        let gate = try GateLoader.load(file: file, environment: ["TARGET": "http://10.0.0.5:8080", "TOLLGATE_ADMIN_TOKEN": "t0k", "KAFKA_BROKERS": "k:9092",
                                                                  "MONOLITH_URL": "http://legacy:3000"])
        #expect(gate.gateway.url == "http://10.0.0.5:8080" && gate.gateway.adminToken == "t0k" && gate.kafkaBrokers == "k:9092")
        #expect(gate.consistency[0].target == "http://legacy:3000/admin/export/users")
    }

    @Test func everyProblemIsListedWithItsLine() {
        let yaml = """
            gateway: {url: ftp://x}
            contracts: {pacts: [], providers: {user-service: nowhere}}
            stages: {0: a.yaml, 25: [b]}
            consistency:
              - {source: "http://a/admin/export/users", target: x, colour: red}
            slos: [p95<fast]
            inconsistency_threshold: 200
            extra: 1
            metrics:
              - {url: nowhere, errors: {status: xx}, action: panic}
            """
        #expect {
            _ = try GateLoader.parse(yaml, file: "g.yaml")
        } throws: { error in
            let text = "\((error as? ProfileError)?.description ?? "")"
            let expected = ["g.yaml:1: gateway.url", "g.yaml:2: contracts.pacts", "g.yaml:2: contracts.providers.user-service", "g.yaml:3: stages.0",
                            "g.yaml:3: stages.25", "g.yaml:5: consistency[0].target", "consistency[0].colour", "g.yaml:6: slos[0]",
                            "g.yaml:7: inconsistency_threshold", "g.yaml:8: extra",
                            "g.yaml:10: metrics[0].url", "g.yaml:10: metrics[0].errors.status", "g.yaml:10: metrics[0].action", "metrics[0].threshold: missing"]
            for line in expected where !text.contains(line) { Issue.record("missing \(line) in:\n\(text)") }
            return true
        }
    }

    @Test func aGateFileWithoutGatewayOrStagesSaysWhatIsMissing() {
        #expect {
            _ = try GateLoader.parse("name: empty\n", file: "g.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains("gateway: missing") && text.contains("stages: missing")
        }
    }
}
