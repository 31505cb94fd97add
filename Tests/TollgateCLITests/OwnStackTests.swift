import Foundation
import TestSupport
import Testing

/// A whole rollout on a stack Tollgate's authors did not write (examples/own-stack): a Flask
/// monolith under gunicorn and a FastAPI service under uvicorn, each with its own PostgreSQL
/// database, nginx splitting clients, moved by a script.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_OWN_STACK_VENV"] != nil
                    && ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs Flask, FastAPI and their exporters (make test installs them into .venv-own-stack), nginx and PostgreSQL"))
struct OwnStackTests {
    /// Starts the example stack on free ports while `body` runs; its environment as the gate reads it.
    private func withOwnStack(_ body: ([String: String]) async throws -> Void) async throws {
        let environment = ProcessInfo.processInfo.environment
        let state = try temporaryFolder("own-stack")
        var settings = ["DATABASE_URL": try #require(environment["TOLLGATE_TEST_DATABASE_URL"]), "OWN_STACK_VENV": try #require(environment["TOLLGATE_OWN_STACK_VENV"]),
                        "OWN_STACK_STATE": state.path, "FRONT_PORT": "\(freePort())", "MONOLITH_PORT": "\(freePort())", "CATALOG_PORT": "\(freePort())",
                        "PROMETHEUS_PORT": "\(freePort())"]
        settings["PATH"] = environment["PATH"]
        let script = packageRoot.appendingPathComponent("examples/own-stack/start.sh").path
        let started = try await ChildProcess("/usr/bin/env", settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [script]).finish()
        defer {
            _ = try? ChildProcess("/usr/bin/env", ["OWN_STACK_STATE=\(state.path)", packageRoot.appendingPathComponent("examples/own-stack/stop.sh").path]).wait()
            try? FileManager.default.removeItem(at: state)
        }
        try #require(started.code == 0, "start.sh: \(started.out)\(started.err)")
        // The env file's `export A="x" B="y"` lines.
        var stack: [String: String] = [:]
        let text = try String(contentsOf: state.appendingPathComponent("env"), encoding: .utf8)
        for match in text.matches(of: /([A-Z_]+)="([^"]*)"/) { stack[String(match.1)] = String(match.2) }
        try await body(stack)
    }

    @Test func aWholeRolloutRollsBackWhenTheFaultComesAt50AndASecondGateIsRefusedByTheLock() async throws {
        try await withOwnStack { stack in
            let folder = try temporaryFolder("own-stack-reports")
            defer { try? FileManager.default.removeItem(at: folder) }
            let gate = packageRoot.appendingPathComponent("examples/own-stack/gate.yaml").path
            var environment = stack
            environment["OWN_STACK_FAULT_AT"] = "50"
            // Enough shoppers in 6 s that even 10 % of them are enough for the judge (at least 30 a path).
            environment["BROWSE_RATE"] = "100"
            let report = folder.appendingPathComponent("rollout.json")
            let run = try await runTollgate(["rollout", gate, "--stages", "10,25,50,100", "--duration", "6s", "--quiet", "--json", report.path],
                                            environment: environment)
            #expect(run.status == 5, "\(run.out)\(run.err)")
            let json = try jsonObject(report)
            let stages = try #require(json["stages"] as? [[String: Any]])
            let verdicts = stages.compactMap { ($0["verdict"] as? [String: Any]).map { "\($0["stage"] ?? "?") \($0["action"] ?? "?")" } }
            #expect(verdicts == ["10 proceed", "25 proceed", "50 rollback"], "\(verdicts)\n\(run.out)")
            // At 10 and 25 % the judge compared both paths; at 50 % the new service failed and the script moved the split back.
            let judged = stages.prefix(2).compactMap { ($0["judge"] as? [String: Any])?["action"] as? String }
            #expect(judged == ["proceed", "proceed"], "\(judged)")
            // Prometheus saw the new service's 5xx share too: nothing at 10 %, the fault at 50 %.
            let promql = stages.compactMap { stage in ((stage["triggers"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "catalog 5xx share (Prometheus)" } }
            #expect(promql.map { $0["breached"] as? Bool } == [false, false, true], "\(promql)")
            let get = try await ChildProcess("/usr/bin/env", ["OWN_STACK_STATE=\(stack["OWN_STACK_STATE"] ?? "")", packageRoot.appendingPathComponent("examples/own-stack/split.sh").path, "get"]).finish()
            #expect(get.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the split is back at 0 %: \(get.out)\(get.err)")

            // Another pipeline holds the lock file: a second gate moves nothing and pauses, naming the lock.
            let lockFile = "\(stack["OWN_STACK_STATE"] ?? "")/rollout.lock"
            let holder = try ChildProcess("/usr/bin/flock", [lockFile, "sleep", "60"], captureOutput: false, captureError: false)
            defer {
                holder.send(SIGKILL)
                holder.wait()
            }
            // Until flock holds it: a non-blocking try by another process fails.
            let held = await eventually(timeout: 10) {
                guard let probe = try? ChildProcess("/usr/bin/flock", ["-n", lockFile, "true"]) else { return false }
                return await probe.finish().code != 0
            }
            try #require(held, "flock took \(lockFile)")
            let refused = try await runTollgate(["gate", gate, "--stage", "10", "--duration", "2s", "--quiet", "--report-dir", folder.path], environment: stack)
            #expect(refused.status == 4, "\(refused.out)\(refused.err)")
            #expect((refused.out + refused.err).contains("rollout.lock"), "\(refused.out)\(refused.err)")
            let still = try await ChildProcess("/usr/bin/env", ["OWN_STACK_STATE=\(stack["OWN_STACK_STATE"] ?? "")", packageRoot.appendingPathComponent("examples/own-stack/split.sh").path, "get"]).finish()
            #expect(still.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "nothing moved")
        }
    }
}
