import Foundation
import ReferenceServices
import TestSupport
import Testing

/// `tollgate gate` whose triggers are PromQL queries answered by a real Prometheus scraping the
/// reference services, as Argo Rollouts' analyses are.
@Suite(.serialized, .enabled(if: PrometheusServer.binary != nil, "needs Debian's prometheus: make test installs it"), .sharedPrometheus)
struct PrometheusGateTests {
    /// A gate for `stack` with the triggers of `loadprofiles/gate-prometheus.yaml` (its
    /// `metrics:` section as shipped; the order p95 limit `p95Limit` seconds, and with `relaxed`
    /// two of its three measurements may have no value), `extra` entries
    /// after them, and a stage of checkouts (every iteration places an order).
    /// Checkouts at 20 a second (each one registers and logs in: password hashing is the costliest
    /// thing the services do, and the suite shares two cores), at `stage`.
    /// `splitTolerance` replaces the traffic split's 0.1 where a test is about another trigger: about
    /// 120 users are routed per 6 s gate, so at 25 % the split's standard deviation is 0.04 and the
    /// shipped tolerance pauses about one run in eighty by chance (a pause outranks a reduce).
    static func gateFile(_ stack: ServiceStack, _ prometheus: PrometheusServer, in folder: URL, stage: Int = 25, p95Limit: String = "0.5",
                         splitTolerance: String = "0.1", relaxed: Bool = false, extra: String = "") throws -> String {
        let profile = folder.appendingPathComponent("checkouts.yaml")
        try GateCommandTests.checkouts(rate: 20).write(to: profile, atomically: true, encoding: .utf8)
        let shipped = try String(contentsOf: packageRoot.appendingPathComponent("loadprofiles/gate-prometheus.yaml"), encoding: .utf8)
        let metrics = try #require(shipped.range(of: "\nmetrics:\n")).lowerBound
        var triggers = String(shipped[metrics...]).replacingOccurrences(of: "    threshold: 0.5\n", with: "    threshold: \(p95Limit)\n")
            .replacingOccurrences(of: "    threshold: 0.1\n", with: "    threshold: \(splitTolerance)\n")
        if relaxed {
            // The first measurements may come before any order has completed on a busy machine.
            triggers = triggers.replacingOccurrences(of: "    inconclusive_limit: 1\n", with: "    inconclusive_limit: 2\n")
        }
        let yaml = """
            name: prometheus-gate
            gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
            stages: {\(stage): "\(profile.path)"}
            slos: []
            prometheus: \(prometheus.url)
            """ + triggers + extra
        let file = folder.appendingPathComponent("gate.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func trigger(_ json: [String: Any], _ name: String) -> [String: Any] {
        GateCommandTests.trigger(json, name) ?? [:]
    }

    /// The gateway's 5xx rate as one series over the whole load (`query_range`), a point a second.
    static let errorSeries = """
          - name: error series
            query: sum(rate(http_requests_total{service="api-gateway",status=~"5.."}[5s])) or vector(0)
            range_step: 1s
            threshold: 0.5

        """

    @Test func aHealthyStackProceedsOnItsPromQLTriggers() async throws {
        let folder = try temporaryFolder("prom-healthy")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withPrometheus({ c in c.seedProducts = 300; c.rolloutPercent = 0 }) { stack, prometheus in
            // The p95 limit relaxed: this test is about a healthy verdict, and shares the machine with the other suites.
            // Stage 10: about 120 orders, of which the monolith's share (0.9) is within the split's 0.1 by almost four standard deviations.
            let result = try await GateCommandTests.gate(try Self.gateFile(stack, prometheus, in: folder, stage: 10, p95Limit: "60", relaxed: true, extra: Self.errorSeries), folder, stage: 10, duration: "6s")
            #expect(result.status == 0, "\(result.out)\(result.err)")
            let queries = try #require(result.json["queries"] as? [[String: Any]])
            #expect(queries.map { $0["name"] as? String } == ["error rate", "order p95", "payment provider failures", "traffic split", "error series"])
            let p95 = try #require(queries.first { $0["name"] as? String == "order p95" })
            #expect((p95["measurements"] as? [[String: Any]])?.count == 3, "three measurements during the load: \(p95)")
            let window = (p95["sent"] as? String)?.firstMatch(of: /\[(\d+)s\]/).flatMap { Int($0.1) } ?? 0
            #expect((6...9).contains(window), "${window} is the load so far, at the last measurement 6 s in: \(p95)")
            #expect(result.err.contains("order p95: 3 measurements 5s apart do not fit in the 6s load; taken 2.0s apart"), "\(result.err)")
            let series = try #require(queries.first { $0["name"] as? String == "error series" })
            #expect(((series["measurements"] as? [[String: Any]])?.count ?? 0) >= 5, "a point a second over the 6 s load: \(series)")
            let split = Self.trigger(result.json, "traffic split")
            #expect(split["breached"] as? Bool == false && split["inconclusive"] == nil, "the gateway sends the stage's share to the new services: \(split)")
            let payments = Self.trigger(result.json, "payment provider failures")
            #expect(payments["breached"] as? Bool == false && payments["inconclusive"] == nil, "\(payments)")
            #expect((payments["evidence"] as? String)?.contains("route=\"/v1/payment_intents\"") == true, "the query as sent is the evidence: \(payments)")
        }
    }

    @Test func aQueryWithNoDataPausesAndSaysSo() async throws {
        let folder = try temporaryFolder("prom-nodata")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withPrometheus({ c in c.seedProducts = 300; c.rolloutPercent = 10 }) { stack, prometheus in
            let missing = """
                  - name: checkout errors
                    query: sum(rate(checkout_errors_total[${window}]))
                    threshold: 0
                    action: rollback

                """
            let result = try await GateCommandTests.gate(try Self.gateFile(stack, prometheus, in: folder, p95Limit: "60", relaxed: true, extra: missing), folder, duration: "6s")
            #expect(result.status == 4, "pause: \(result.out)\(result.err)")
            let trigger = Self.trigger(result.json, "checkout errors")
            #expect((trigger["inconclusive"] as? String)?.contains("the query returned no series") == true, "\(trigger)")
            #expect(result.out.contains("checkout errors"), "\(result.out)")
        }
    }
}

/// A Prometheus that wants a bearer token (a stand-in answering fixed values, so no timing is
/// judged: this suite runs with the rest).
@Suite struct PrometheusCredentialTests {
    /// The credential is read from the variable the gate file names, sent, and never shown.
    @Test func theBearerTokenIsSentAndNeverWritten() async throws {
        let folder = try temporaryFolder("prom-token")
        defer { try? FileManager.default.removeItem(at: folder) }
        let token = "tok-" + UUID().uuidString
        let port = freePort()
        let server = try ChildProcess("/usr/bin/python3", [packageRoot.appendingPathComponent("Tests/TollgateCLITests/Fixtures/guarded-prometheus.py").path, "\(port)", token],
                                      captureOutput: false, captureError: false)
        defer {
            server.send(SIGTERM)
            server.wait()
        }
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) }, "the guarded Prometheus listens")
        try await withStack({ c in c.seedProducts = 300 }) { stack in
            let profile = folder.appendingPathComponent("checkouts.yaml")
            try GateCommandTests.checkouts(rate: 5).write(to: profile, atomically: true, encoding: .utf8)
            let yaml = """
                name: token-gate
                gateway: {url: "\(stack.gatewayURL)", admin_token: "\(stack.adminToken)"}
                stages: {25: "\(profile.path)"}
                slos: []
                prometheus: {url: "http://127.0.0.1:\(port)", bearer_token_env: GATE_PROM_TOKEN}
                metrics:
                  - {name: guarded, query: "sum(rate(http_requests_total[${window}]))", threshold: 0.01}
                """
            let file = folder.appendingPathComponent("gate.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let report = folder.appendingPathComponent("gate.json")
            let arguments = ["gate", file.path, "--stage", "25", "--duration", "2s", "--json", report.path,
                             "--html", folder.appendingPathComponent("gate.html").path, "--junit", folder.appendingPathComponent("gate.xml").path]
            let denied = try await runTollgate(arguments)
            #expect(denied.status == 4, "without the token Prometheus answers 401: inconclusive, pause: \(denied.out)\(denied.err)")
            #expect(denied.out.contains("answered 401: check the credential the gate file names"), "\(denied.out)")

            let result = try await runTollgate(arguments, environment: ["GATE_PROM_TOKEN": token])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            #expect(result.out.contains("guarded at"), "\(result.out)")
            for name in ["gate.json", "gate.html", "gate.xml"] {
                let written = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                #expect(!written.contains(token), "\(name) holds the token")
            }
            #expect(!result.out.contains(token) && !result.err.contains(token))
        }
    }
}

/// `tollgate load --metrics-addr`, scraped by a real Prometheus while it runs.
@Suite(.enabled(if: PrometheusServer.binary != nil, "needs Debian's prometheus: make test installs it"))
struct LoadMetricsExportTests {
    @Test func prometheusScrapesTheRunAndCountsWhatTheResultCounts() async throws {
        let folder = try temporaryFolder("load-metrics")
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = freePort()
        let prometheus = try await PrometheusServer.start(scraping: ["tollgate-load": "127.0.0.1:\(port)"])
        do {
            try await withServices { stack in
                let report = folder.appendingPathComponent("load.json")
                // Only the error rate judged: latency is not this test's subject, and the suite shares two cores.
                let result = try await runTollgate(["load", "--url", stack.gatewayURL + "/api/v1/products?per_page=5", "--rate", "20", "--duration", "4s",
                                                    "--slo", "error_rate<=1%", "--metrics-addr", "127.0.0.1:\(port)", "--metrics-linger", "3s", "--quiet",
                                                    "--json", report.path])
                #expect(result.status == 0, "\(result.out)\(result.err)")
                let requests = try #require((try jsonObject(report)["summary"] as? [String: Any])?["requests"] as? Int)
                #expect(requests > 50)
                // The last scrape (during the linger) holds the run's final count.
                let scraped = try await prometheus.value(#"max_over_time(tollgate_http_reqs_total{name=""}[5m])"#)
                #expect(scraped == Double(requests), "Prometheus saw \(String(describing: scraped)), the result counts \(requests)")
                let steps = try await prometheus.value(#"count(count_over_time(tollgate_http_req_duration_seconds_bucket{name=""}[5m]))"#)
                #expect((steps ?? 0) >= 16, "every latency bucket was scraped: \(String(describing: steps))")
            }
        } catch {
            await prometheus.stop()
            throw error
        }
        await prometheus.stop()
    }

    @Test func aBadMetricsAddressIsRefusedBeforeAnythingRuns() async throws {
        let result = try await runTollgate(["load", "--url", "http://127.0.0.1:9/", "--rate", "1", "--duration", "1s", "--metrics-addr", "localhost"])
        #expect(result.status == 2)
        #expect(result.err.contains("--metrics-addr 'localhost' must be HOST:PORT"), "\(result.err)")
    }
}
