import Foundation
import TestSupport
import Testing

/// Load, flows and shards over HTTPS against nginx with a CA, certificates and client
/// certificates this suite makes with `openssl`.
@Suite(.enabled(if: nginxAvailable, "needs Debian's nginx (make test installs it)"))
struct HTTPSTests {
    private static func profile(port: Int, rate: Int = 50, duration: String = "2s", tls: String = "") -> String {
        """
        name: https
        target: https://localhost:\(port)
        \(tls)
        scenarios:
          steady:
            executor: constant-arrival-rate
            rate: \(rate)
            duration: \(duration)
            max_vus: 50
            steps:
              - name: home
                path: /
                check: {status: 200}
        slos:
          - error_rate<=1%
        """
    }

    private static func withCertificates(_ names: [String] = ["localhost", "127.0.0.1"], _ body: (URL, TestCertificates) async throws -> Void) async throws {
        let folder = try temporaryFolder("https")
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificates = try await offThePool { try TestCertificates(in: folder.appendingPathComponent("certs"), serverNames: names) }
        try await body(folder, certificates)
    }

    @Test func aProfileOverHTTPSPassesAndRecordsHandshakes() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey), in: folder) { port, _ in
                let file = folder.appendingPathComponent("profile.yaml")
                // A relative CA file is read beside the profile.
                try Self.profile(port: port, tls: "tls: {ca_file: certs/ca.pem}").write(to: file, atomically: true, encoding: .utf8)
                let json = folder.appendingPathComponent("result.json"), html = folder.appendingPathComponent("result.html")
                let run = try await runTollgate(["load", file.path, "--json", json.path, "--html", html.path])
                #expect(run.status == 0, "\(run.out)\(run.err)")
                #expect(run.err.contains("TLS: CA file"), "\(run.err)")
                #expect(run.out.contains("  handshake "), "the summary shows TLS connection set-up apart: \(run.out)")
                let result = try jsonObject(json)
                let summary = try #require(result["summary"] as? [String: Any])
                // Every planned iteration sent, or dropped when all users were busy (a loaded machine).
                #expect((summary["requests"] as? Int ?? 0) + (summary["dropped_iterations"] as? Int ?? 0) == 100 && (summary["requests"] as? Int ?? 0) > 0)
                let handshake = try #require(summary["tls_handshake_ms"] as? [String: Any], "\(summary)")
                #expect((handshake["p50"] as? Double ?? 0) > 0)
                let home = try #require((result["by_name"] as? [String: Any])?["home"] as? [String: Any])
                #expect(home["tls_handshake_ms"] != nil, "per request name too")
                #expect((result["run"] as? [String: Any])?["tls"] as? String == "CA file \(certs.caFile)")
                let page = try String(contentsOf: html, encoding: .utf8)
                #expect(page.contains("TLS handshake"), "the HTML report shows handshakes")
            }
        }
    }

    @Test func aCertificateForAnotherNameIsRefusedWithTheReason() async throws {
        try await Self.withCertificates(["other.example"]) { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey), in: folder) { port, _ in
                // Refused at the start: exit 2, as an unreachable target, naming the TLS reason.
                let load = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "10", "--duration", "1s", "--cacert", certs.caFile,
                                                  "--json", folder.appendingPathComponent("load.json").path])
                #expect(load.status == 2, "\(load.out)\(load.err)")
                #expect(load.err.contains("TLS hostname mismatch"), "\(load.err)")
                // The name the certificate has, given as the server name: it passes.
                let named = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "10", "--duration", "1s", "--cacert", certs.caFile,
                                                   "--tls-server-name", "other.example", "--quiet", "--slo", "error_rate<=1%"])
                #expect(named.status == 0, "\(named.out)\(named.err)")
                // A flow's step fails with the TLS reason: exit 1.
                let flow = folder.appendingPathComponent("flow.yaml")
                try "name: secure\ntarget: https://localhost:\(port)\ntls: {ca_file: certs/ca.pem}\nsteps:\n  - path: /\n".write(to: flow, atomically: true, encoding: .utf8)
                let json = folder.appendingPathComponent("flow.json")
                let flowRun = try await runTollgate(["flow", flow.path, "--json", json.path])
                #expect(flowRun.status == 1, "\(flowRun.out)\(flowRun.err)")
                #expect(flowRun.out.contains("TLS hostname mismatch"), "\(flowRun.out)")
            }
        }
    }

    @Test func anExpiredCertificateIsRefusedAsExpired() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.expiredCert, key: certs.serverKey), in: folder) { port, _ in
                let load = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "10", "--duration", "1s", "--cacert", certs.caFile])
                #expect(load.status == 2 && load.err.contains("TLS expired: certificate has expired"), "\(load.out)\(load.err)")
            }
        }
    }

    @Test func handshakesThatFailDuringARunAreCountedAsTLSErrors() async throws {
        try await Self.withCertificates { folder, certs in
            // A new connection for every request, so every request makes a handshake.
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey, closeEachConnection: true), in: folder) { port, nginx in
                let json = folder.appendingPathComponent("result.json")
                let child = try ChildProcess(tollgateBinary.path, ["load", "--url", "https://localhost:\(port)/", "--rate", "40", "--duration", "4s", "--cacert", certs.caFile,
                                                                   "--slo", "error_rate<=1%", "--json", json.path, "--quiet"], directory: packageRoot.path)
                // Once the run is under way (nginx has answered a few requests; a busy machine starts it late)…
                let log = tlsServerLogs(folder, port: port).appendingPathComponent("access.log")
                _ = await eventually(timeout: 30) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count >= 5 }
                // …the server shows a certificate of another CA: new handshakes fail.
                try FileManager.default.removeItem(atPath: certs.serverCert)
                try FileManager.default.removeItem(atPath: certs.serverKey)
                try FileManager.default.copyItem(atPath: certs.selfSignedCert, toPath: certs.serverCert)
                try FileManager.default.copyItem(atPath: certs.selfSignedKey, toPath: certs.serverKey)
                nginx.send(SIGHUP)
                let ended = await child.finish()
                #expect(ended.code == 1, "\(ended.out)\(ended.err)")
                let result = try jsonObject(json)
                let tls = try #require((result["errors"] as? [String: Any])?["tls"] as? [String: Any], "\(result["errors"] ?? "")")
                #expect((tls["count"] as? Int ?? 0) > 10)
                #expect((tls["examples"] as? [String])?.first?.contains("TLS unknown authority") == true, "\(tls)")
                let handshake = try #require((result["summary"] as? [String: Any])?["tls_handshake_ms"] as? [String: Any])
                #expect(handshake["p50"] != nil)
            }
        }
    }

    @Test func newConnectionsResumeTheirSession() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey, closeEachConnection: true), in: folder) { port, _ in
                let json = folder.appendingPathComponent("result.json")
                let run = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "40", "--duration", "2s", "--cacert", certs.caFile,
                                                 "--json", json.path, "--quiet", "--slo", "error_rate<=1%"])
                #expect(run.status == 0, "\(run.out)\(run.err)")
                // nginx saw a new connection per request; most resumed a session.
                let log = try String(contentsOf: tlsServerLogs(folder, port: port).appendingPathComponent("access.log"), encoding: .utf8)
                let lines = log.split(separator: "\n")
                let resumed = lines.filter { $0.hasPrefix("r ") }.count
                // Connections opened together at the start have no session to resume yet (more of them on a busy machine).
                let result = try jsonObject(json)
                let requests = (result["summary"] as? [String: Any])?["requests"] as? Int ?? 0
                #expect(requests > 20 && lines.count == requests && resumed > requests / 2, "\(resumed) of \(lines.count) resumed, \(requests) requests")
                #expect(lines.allSatisfy { $0.hasSuffix("TLSv1.3") }, "TLS 1.3 when the server offers it")
                #expect(Self.handshakeCount(result) == requests, "one handshake per connection")
            }
        }
    }

    @Test func mutualTLSPassesWithTheClientCertificateOnly() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey, clientCA: certs.caFile), in: folder) { port, _ in
                let file = folder.appendingPathComponent("profile.yaml")
                try Self.profile(port: port, tls: "tls: {ca_file: certs/ca.pem, cert_file: certs/client.pem, key_file: certs/client.key}")
                    .write(to: file, atomically: true, encoding: .utf8)
                let with = try await runTollgate(["load", file.path, "--quiet"])
                #expect(with.status == 0, "\(with.out)\(with.err)")
                let json = folder.appendingPathComponent("without.json")
                let without = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "20", "--duration", "1s", "--cacert", certs.caFile,
                                                     "--json", json.path, "--quiet"])
                #expect(without.status == 1, "\(without.out)\(without.err)")
                // nginx answers a request without a client certificate with 400.
                #expect(((try jsonObject(json))["statuses"] as? [String: Int])?["400"] == 20)
                let half = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "20", "--duration", "1s", "--cert", certs.clientCert])
                #expect(half.status == 2 && half.err.contains("--key"), "a certificate without its key: \(half.err)")
            }
        }
    }

    @Test func insecureSkipVerifyReachesASelfSignedServerAndSaysSo() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.selfSignedCert, key: certs.selfSignedKey), in: folder) { port, _ in
                let refused = try await runTollgate(["load", "--url", "https://localhost:\(port)/", "--rate", "10", "--duration", "1s"])
                #expect(refused.status == 2, "\(refused.out)\(refused.err)")
                #expect(refused.err.contains("TLS unknown authority: self-signed certificate"), "\(refused.err)")
                let file = folder.appendingPathComponent("profile.yaml")
                try Self.profile(port: port, tls: "tls: {insecure_skip_verify: true}").write(to: file, atomically: true, encoding: .utf8)
                let json = folder.appendingPathComponent("result.json")
                let run = try await runTollgate(["load", file.path, "--json", json.path, "--quiet"])
                #expect(run.status == 0, "\(run.out)\(run.err)")
                #expect(run.err.contains("WARNING: TLS certificate verification is OFF"), "said even with --quiet: \(run.err)")
                let result = try jsonObject(json)
                #expect((result["run"] as? [String: Any])?["tls"] as? String == "certificate verification OFF (insecure_skip_verify)")
                #expect((result["notes"] as? [String])?.contains { $0.contains("verification was OFF") } == true)
            }
        }
    }

    @Test func aFlowRunsOverHTTPS() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey), in: folder) { port, _ in
                let flow = folder.appendingPathComponent("flow.yaml")
                try """
                    name: secure
                    target: https://localhost:\(port)
                    steps:
                      - {name: first, path: /, check: {status: 200, json: {"$.ok": true}}}
                      - {name: second, path: /again, check: {status: 200}}
                    """.write(to: flow, atomically: true, encoding: .utf8)
                let quickJSON = folder.appendingPathComponent("quick.json")
                let quick = try await runTollgate(["load", "--url", "https://localhost:\(port)/api/v1/items?page=2", "--rate", "10", "--duration", "1s",
                                                   "--cacert", certs.caFile, "--quiet", "--json", quickJSON.path, "--slo", "error_rate<=1%"])
                #expect(quick.status == 0, "\(quick.out)\(quick.err)")
                #expect((try jsonObject(quickJSON)["by_name"] as? [String: Any])?["GET /api/v1/items"] != nil, "quick mode keeps the URL's path over HTTPS")
                let run = try await runTollgate(["flow", flow.path, "--cacert", certs.caFile, "--iterations", "2", "--json", folder.appendingPathComponent("f.json").path])
                #expect(run.status == 0, "\(run.out)\(run.err)")
                #expect(run.out.contains("✓ 2 flow run(s) passed"), "\(run.out)")
            }
        }
    }

    @Test func aShardPairOverHTTPSMergesExactly() async throws {
        try await Self.withCertificates { folder, certs in
            try await withTLSServer(TLSServerOptions(certificate: certs.serverCert, key: certs.serverKey), in: folder) { port, _ in
                let results = folder.appendingPathComponent("results")
                try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
                let shards = try (1...2).map { i in
                    try ChildProcess(tollgateBinary.path, ["load", "--url", "https://localhost:\(port)/", "--rate", "40", "--duration", "2s", "--cacert", certs.caFile,
                                                           "--shard", "\(i)/2", "--quiet", "--slo", "error_rate<=1%", "--json", results.appendingPathComponent("shard-\(i).json").path],
                                     directory: packageRoot.path)
                }
                var requests = 0, dropped = 0, handshakes = 0
                for (i, shard) in shards.enumerated() {
                    let ended = await shard.finish()
                    #expect(ended.code == 0, "shard \(i + 1): \(ended.out)\(ended.err)")
                    let json = try jsonObject(results.appendingPathComponent("shard-\(i + 1).json"))
                    requests += (json["summary"] as? [String: Any])?["requests"] as? Int ?? 0
                    dropped += (json["summary"] as? [String: Any])?["dropped_iterations"] as? Int ?? 0
                    handshakes += Self.handshakeCount(json)
                }
                let merged = folder.appendingPathComponent("merged.json")
                let report = try await runTollgate(["report", results.path, "--json", merged.path])
                #expect(report.status == 0, "\(report.out)\(report.err)")
                let whole = try jsonObject(merged)
                #expect((whole["summary"] as? [String: Any])?["requests"] as? Int == requests)
                #expect(requests + dropped == 80 && requests > 0)
                #expect(handshakes > 0 && Self.handshakeCount(whole) == handshakes, "the handshake histograms add exactly")
            }
        }
    }

    /// The number of handshakes in a result's histogram (`metrics.total.tls_handshake_histogram`, its buckets' counts).
    private static func handshakeCount(_ result: [String: Any]) -> Int {
        let total = (result["metrics"] as? [String: Any])?["total"] as? [String: Any]
        let buckets = (total?["tls_handshake_histogram"] as? [String: Any])?["buckets"] as? [[Int]] ?? []
        return buckets.reduce(0) { $0 + ($1.last ?? 0) }
    }
}
