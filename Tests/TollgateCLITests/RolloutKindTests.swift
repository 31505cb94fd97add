import Foundation
import ReferenceServices
import TestSupport
import Testing

/// The gate moving the rollout through what a team has: a flag service or API over HTTP, or
/// commands — set, read back, restored — and their credentials never shown.
@Suite(.serialized) struct RolloutKindTests {
    /// A gate file of checkouts at stage 25 whose `rollout:` section is `rollout`. Its objective
    /// is wide on purpose: these tests are about moving the rollout, and a busy machine times out
    /// a request or two of a 2-second load (measured: 2 of 60, with p95 at 9.7 s).
    static func gateFile(_ stack: ServiceStack, in folder: URL, rollout: String) throws -> String {
        let profile = folder.appendingPathComponent("checkouts.yaml")
        try GateCommandTests.checkouts(rate: 10).write(to: profile, atomically: true, encoding: .utf8)
        let yaml = """
            name: rollout-kinds
            target: "\(stack.gatewayURL)"
            stages: {25: "\(profile.path)"}
            slos: [error_rate<=50%:rollback]

            """ + rollout
        let file = folder.appendingPathComponent("gate.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// The bundled gateway's own API, driven as any HTTP flag API would be: the token comes from
    /// the environment into a header.
    static func gatewayOverHTTP(_ stack: ServiceStack) -> String {
        """
        rollout:
          kind: http
          set:
            method: PUT
            url: "\(stack.gatewayURL)/admin/rollout"
            headers: {Authorization: "Bearer ${ROLLOUT_TOKEN}", Content-Type: application/json}
            body: '{"percent": ${percent}}'
          get:
            url: "\(stack.gatewayURL)/admin/rollout"
            headers: {Authorization: "Bearer ${ROLLOUT_TOKEN}"}
            path: $.percent
        """
    }

    @Test func anHTTPRolloutSetsReadsBackAndNeverShowsItsToken() async throws {
        let folder = try temporaryFolder("rollout-http")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 10 }) { stack in
            let file = try Self.gateFile(stack, in: folder, rollout: Self.gatewayOverHTTP(stack))
            let report = folder.appendingPathComponent("gate.json")
            let result = try await runTollgate(["gate", file, "--stage", "25", "--duration", "2s", "--quiet", "--json", report.path,
                                                "--html", folder.appendingPathComponent("gate.html").path, "--junit", folder.appendingPathComponent("gate.xml").path],
                                               environment: ["ROLLOUT_TOKEN": stack.adminToken])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            #expect(await stack.rollout.percent == 25, "set through the HTTP API and left at the stage")
            #expect(result.out.contains("was at 10 %, now 25 %"), "\(result.out)")
            for name in ["gate.json", "gate.html", "gate.xml"] {
                #expect(!(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)).contains(stack.adminToken), "\(name) holds the token")
            }
            #expect(!result.out.contains(stack.adminToken) && !result.err.contains(stack.adminToken))
        }
    }

    @Test func ctrlCPutsAnHTTPRolloutBack() async throws {
        let folder = try temporaryFolder("rollout-http-interrupt")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withStack({ c in c.seedProducts = 300; c.rolloutPercent = 10 }) { stack in
            let file = try Self.gateFile(stack, in: folder, rollout: Self.gatewayOverHTTP(stack))
            let child = try ChildProcess("/usr/bin/env", ["ROLLOUT_TOKEN=\(stack.adminToken)", tollgateBinary.path, "gate", file, "--stage", "25", "--duration", "60s", "--quiet"],
                                         directory: packageRoot.path)
            #expect(await eventually(timeout: 30) { await stack.rollout.percent == 25 }, "the gate set the stage")
            child.send(SIGINT)
            let ended = await child.finish()
            #expect(ended.code == 2 && !ended.signalled, "\(ended.out)\(ended.err)")
            #expect(await stack.rollout.percent == 10, "put back through the same API")
        }
    }

    @Test func aFlagServiceThatReadsBackAnotherValuePauses() async throws {
        let folder = try temporaryFolder("rollout-stuck")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Accepts every change and keeps answering 50.
        let port = freePort()
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def reply(self, body):
                    self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def do_GET(self): self.reply(b'{"flag": {"rollout": 50000}}')
                def do_PATCH(self): self.rfile.read(int(self.headers.get("Content-Length", "0"))); self.reply(b'{}')
                def log_message(self, *a): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let server = try ChildProcess("/usr/bin/python3", ["-c", script, "\(port)"], captureOutput: false, captureError: false)
        defer {
            server.send(SIGTERM)
            server.wait()
        }
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) })
        try await withStack({ c in c.seedProducts = 300 }) { stack in
            let rollout = """
                rollout:
                  kind: http
                  scale: 1000
                  set: {method: PATCH, url: "http://127.0.0.1:\(port)/flags/new-services", body: '{"rollout": ${percent}}'}
                  get: {url: "http://127.0.0.1:\(port)/flags/new-services", path: $.flag.rollout}
                """
            let file = try Self.gateFile(stack, in: folder, rollout: rollout)
            let report = folder.appendingPathComponent("gate.json")
            let result = try await runTollgate(["gate", file, "--stage", "25", "--duration", "2s", "--quiet", "--json", report.path])
            #expect(result.status == 4, "pause: \(result.out)\(result.err)")
            #expect(result.err.contains("set to 25 % but reads back 50 %"), "\(result.err)")
            #expect((try jsonObject(report)["verdict"] as? [String: Any])?["action"] as? String == "pause")
        }
    }

    @Test func aCommandRolloutSetsAndReadsBackThroughScripts() async throws {
        let folder = try temporaryFolder("rollout-command")
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = folder.appendingPathComponent("weight")
        try "10000\n".write(to: state, atomically: true, encoding: .utf8)
        try await withStack({ c in c.seedProducts = 300 }) { stack in
            let rollout = """
                rollout:
                  kind: command
                  scale: 1000
                  set: [sh, -c, 'echo "$0" > "\(state.path)"', "${percent}"]
                  get: [cat, "\(state.path)"]
                  timeout: 10s
                """
            let file = try Self.gateFile(stack, in: folder, rollout: rollout)
            let result = try await runTollgate(["gate", file, "--stage", "25", "--duration", "2s", "--quiet", "--auto-rollback"])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            #expect(result.out.contains("was at 10 %, now 25 %"), "\(result.out)")
            #expect(try String(contentsOf: state, encoding: .utf8) == "25000\n", "the command set the stage (× scale)")

            let failing = try Self.gateFile(stack, in: folder, rollout: """
                rollout:
                  kind: command
                  scale: 1000
                  set: [sh, -c, "echo no such rollout >&2; exit 3"]
                  get: [cat, "\(state.path)"]
                """)
            let refused = try await runTollgate(["gate", failing, "--stage", "25", "--duration", "2s", "--quiet"])
            #expect(refused.status == 2, "\(refused.out)\(refused.err)")
            #expect(refused.err.contains("rollout: sh exited 3: no such rollout"), "\(refused.err)")
        }
    }
}
