import Foundation
import ReferenceServices
import Testing
import TestSupport

/// A verdict needs evidence: a silent server, a selection that matches nothing, a rollout answer
/// that is not a percentage, an export that never advances or never ends are never a pass.
@Suite struct NoPassWithoutEvidenceTests {
    let hostile = HostileProviderTests()

    @Test func aServerThatNeverAnswersFailsTheLoad() async throws {
        try await hostile.withHostileProvider { base, _ in
            let folder = try temporaryFolder("never")
            defer { try? FileManager.default.removeItem(at: folder) }
            let report = folder.appendingPathComponent("never.json")
            let result = try await runTollgate(["load", "--url", base + "/never", "--rate", "20", "--duration", "2s", "--timeout", "3s",
                                                     "--quiet", "--json", report.path])
            #expect(result.status == 1, "\(result.out)\(result.err)")
            let json = try jsonObject(report)
            let summary = try #require(json["summary"] as? [String: Any])
            let requests = summary["requests"] as? Int ?? 0
            // Every request sent is counted — the last ones too, answered by nobody after the run's end.
            #expect(requests >= 30 && summary["errors"] as? Int == requests, "\(summary)")
            #expect(((json["errors"] as? [String: Any])?["timeout"] as? [String: Any])?["count"] as? Int == requests, "\(json["errors"] ?? "")")
            #expect((json["verdict"] as? [String: Any])?["passed"] as? Bool == false)
            #expect(result.out.contains("verdict: FAILED"), "\(result.out)")
        }
    }

    @Test func aSelectionThatNamesNothingIsAnError() async throws {
        try await hostile.withHostileProvider { base, _ in
            let result = try await runTollgate(["load", "--url", base + "/broken", "--rate", "5", "--duration", "1s", "--quiet",
                                                     "--slo", "error_rate{tag=paymnt}<0.1%", "--slo", "p95{name=place-order}<1us"])
            #expect(result.status == 2, "\(result.out)\(result.err)")
            #expect(result.err.contains("no step is tagged 'paymnt'") && result.err.contains("no step is named 'place-order'"), "\(result.err)")
            let profile = try temporaryFolder("selection").appendingPathComponent("p.yaml")
            defer { try? FileManager.default.removeItem(at: profile.deletingLastPathComponent()) }
            try """
                target: \(base)
                scenarios:
                  s: {executor: constant-arrival-rate, rate: 1, duration: 1s, steps: [{name: list, path: /broken, tags: [browse]}]}
                slos: ["p95{name=lsit}<500ms", "payment_failure_rate<0.1%"]
                """.write(to: profile, atomically: true, encoding: .utf8)
            let loaded = try await runTollgate(["load", profile.path])
            #expect(loaded.status == 2 && loaded.err.contains("no step is named 'lsit' (steps: list)") && loaded.err.contains("tagged 'payment'"), "\(loaded.err)")
        }
    }

    @Test func aRolloutAnswerThatIsNotAPercentageStopsTheGate() async throws {
        try await hostile.withHostileProvider { base, _ in
            let folder = try temporaryFolder("gate-true")
            defer { try? FileManager.default.removeItem(at: folder) }
            let gate = folder.appendingPathComponent("g.yaml")
            try """
                gateway: {url: \(base), admin_token: t}
                stages: {10: \(packageRoot.appendingPathComponent("loadprofiles/smoke.yaml").path)}
                """.write(to: gate, atomically: true, encoding: .utf8)
            let report = folder.appendingPathComponent("g.json")
            let result = try await runTollgate(["gate", gate.path, "--stage", "10", "--json", report.path])
            #expect(result.status == 2, "\(result.out)\(result.err)")
            #expect(result.err.contains("no rollout percentage from 0 to 100"), "\(result.err)")
        }
    }

    @Test func anExportThatNeverAdvancesOrNeverEndsIsAnError() async throws {
        try await hostile.withHostileProvider { base, _ in
            let loop = try await runTollgate(["consistency", "--source", base + "/admin/export/loop", "--target", base + "/admin/export/loop", "--token", "t"])
            #expect(loop.status == 2 && loop.err.contains("does not advance"), "\(loop.err)")
            // Pages that go round (after a comes b, after b comes a) were read forever.
            let cycle = try await runTollgate(["consistency", "--source", base + "/admin/export/cycle", "--target", base + "/admin/export/cycle", "--token", "t"], limit: 60)
            #expect(cycle.status == 2 && cycle.err.contains("does not advance: after 'b' it answered the key 'a'"), "\(cycle.err)")
            let endless = try await runTollgate(["consistency", "--source", base + "/admin/export/endless", "--target", base + "/admin/export/endless", "--token", "t"])
            #expect(endless.status == 2 && endless.err.contains("larger than"), "\(endless.err)")
        }
    }

    @Test func headersWithLineBreaksAreRefused() async throws {
        let result = try await runTollgate(["verify", "contracts", "--provider-base-url", "http://127.0.0.1:9", "--header", "X-A=1\r\nX-Injected: yes"])
        #expect(result.status == 2 && result.err.contains("must not contain CR, LF or NUL"), "\(result.err)")
        let pact = try HostileProviderTests().pact(#"{"description": "injected", "request": {"method": "GET", "path": "/", "headers": {"X-A": "1\r\nX-Injected: yes"}}, "response": {"status": 200}}"#)
        defer { try? FileManager.default.removeItem(at: pact) }
        let loaded = try await runTollgate(["verify", pact.path, "--provider-base-url", "http://127.0.0.1:9"])
        #expect(loaded.status == 2 && loaded.err.contains("$.interactions[0].request.headers['X-A']") && loaded.err.contains("must not contain CR, LF or NUL"), "\(loaded.err)")
    }
}

/// Credentials in a gate file never reach its reports.
@Suite struct GateSecretsTests {
    @Test func databaseCredentialsStayOutOfEveryReport() async throws {
        let folder = try temporaryFolder("gate-secrets")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in c.rolloutPercent = 10 }) { stack in
            let database = "postgresql://tollgate:s3cr3t-pa55@word@127.0.0.1:1/orders?sslmode=disable&password=hunter2-long"
            let consistency = """
                  - {name: orders, source: "\(database)", target: "\(database)", table: orders}
                """
            let file = try GateCommandTests.gateFile(stack, in: folder, contracts: false, flows: [], consistency: consistency)
            let json = folder.appendingPathComponent("g.json"), html = folder.appendingPathComponent("g.html"), junit = folder.appendingPathComponent("g.xml")
            let result = try await runTollgate(["gate", file, "--stage", "25", "--duration", "1s", "--json", json.path, "--html", html.path, "--junit", junit.path])
            #expect(result.out.contains("consistency orders"), "the comparison could not run and says so: \(result.out)")
            for text in [result.out, result.err] + [json, html, junit].map({ (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }) {
                #expect(!text.contains("hunter2") && !text.contains("s3cr3t") && !text.contains("pa55") && !text.contains("word@127"), "\(text.prefix(2000))")
            }
        }
    }
}
